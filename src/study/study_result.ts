import type { StudyPlan } from "../config/build_plan.ts";
import type { StudySummary } from "../results/manifest_schema.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import type { StudyOutcome } from "./run_study.ts";

/** What `runStudyFile` returns: result schema 4.0's StudyResult, plus the study's status and directory. */
export interface StudyResult {
  experiments: ExperimentResult[];
  study_name: string | null;
  study_design_hash: string | null;
  measurement_protocol: Record<string, unknown>;
  result_files: string[];
  summary: StudySummary;
  skipped_experiments: { raw_config: Record<string, unknown>; reason: string; errors: string[] }[];
  status: StudyOutcome["status"];
  study_dir: string;
}

/** The StudyResult from a plan and what running it produced. */
export function studyResult(plan: StudyPlan, outcome: StudyOutcome): StudyResult {
  const execution = plan.execution;
  return {
    experiments: outcome.experiments,
    study_name: outcome.manifest.study_name,
    study_design_hash: outcome.manifest.study_design_hash,
    measurement_protocol: {
      n_cycles: execution.n_cycles,
      experiment_order: execution.order,
      experiment_gap_seconds: execution.experiment_gap_seconds,
      cycle_gap_seconds: execution.cycle_gap_seconds,
      shuffle_seed: plan.effective_shuffle_seed,
      experiment_timeout_seconds: execution.experiment_timeout_seconds,
    },
    result_files: outcome.resultFiles,
    summary: outcome.manifest.summary,
    skipped_experiments: plan.skipped.map((point) => ({
      raw_config: { engine: point.engine, model: point.model, ...point.swept },
      reason: point.reasons.map((r) => r.message).join("; "),
      errors: point.reasons.map((r) => `${r.rule}: ${r.message} (${r.hint})`),
    })),
    status: outcome.status,
    study_dir: outcome.studyDir,
  };
}
