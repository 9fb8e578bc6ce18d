/**
 * llem as a library: load, validate, plan and run studies exactly as the CLI does.
 *
 * ```ts
 * import { loadPlan, runStudyFile } from "./mod.ts";
 * const plan = loadPlan("examples/study.yaml");
 * console.log(plan.funnel, plan.study_design_hash);
 * const study = await runStudyFile("examples/study.yaml", { outputDir: "results" });
 * console.log(study.summary, study.experiments[0]?.mj_per_tok_adjusted);
 * ```
 */
import type { StudyPlan } from "./src/config/build_plan.ts";
import { planStudy } from "./src/config/plan_study.ts";
import { NotReadyError } from "./src/errors/not_ready_error.ts";
import { measureStudy } from "./src/study/measure_study.ts";
import { readConfigFile } from "./src/study/read_config_file.ts";
import type { StudyEvent } from "./src/study/study_events.ts";
import { resolveStudyRequest } from "./src/study/study_request.ts";
import { type StudyResult, studyResult } from "./src/study/study_result.ts";

export type {
  PlannedExperiment,
  PlannedRun,
  SkippedPoint,
  StudyPlan,
  WallTimeLowerBound,
} from "./src/config/build_plan.ts";
export { buildPlan } from "./src/config/build_plan.ts";
export { ConfigError, type ConfigProblem, formatProblem } from "./src/config/config_error.ts";
export { measurementConfigHash, studyDesignHash } from "./src/config/config_hash.ts";
export { canonicalJson } from "./src/config/canonical_json.ts";
export { type ExecutionConfig, executionSchema } from "./src/config/execution_config.ts";
export { type ExperimentConfig, experimentSchema } from "./src/config/experiment_config.ts";
export { expandStudy, type StudyExpansion } from "./src/config/expand_study.ts";
export { orderRuns, williamsSquare } from "./src/config/order_runs.ts";
export { planStudy } from "./src/config/plan_study.ts";
export type { FileContents, ReadFile } from "./src/config/source_file.ts";
export { studyFileSchema } from "./src/config/study_config.ts";

/** Plan a study file from disk; throws ConfigError (with every located problem) on bad input. */
export function loadPlan(path: string): StudyPlan {
  return planStudy(path, readConfigFile);
}

export type { ExperimentResult } from "./src/results/result_schema.ts";
export {
  durationSec,
  openStudyResults as loadStudy,
  type RequestRow,
  type StudyResults,
  tokensPerJoule,
} from "./src/study/study_results.ts";
export type { ExperimentRow } from "./src/analysis/results_table.ts";
export type { MetricSummary } from "./src/analysis/metric_summary.ts";
export { requestStatistics } from "./src/analysis/request_statistics.ts";
export { summaryStats } from "./src/analysis/summary_stats.ts";
export { experimentResultSchema } from "./src/results/result_schema.ts";
export { type Manifest, manifestSchema } from "./src/results/manifest_schema.ts";
export type { StudyEvent } from "./src/study/study_events.ts";
export type { StudyResult } from "./src/study/study_result.ts";
export type { PreflightProblem } from "./src/study/preflight.ts";

/** Preflight found problems: nothing was run (the environment is not ready). */
export class PreflightError extends NotReadyError {
  constructor(readonly problems: { message: string; fix: string }[]) {
    super(
      `preflight found ${problems.length} problem(s): ${problems.map((p) => p.message).join("; ")}`,
      problems.map((p) => p.fix).join("; "),
    );
  }
}

/**
 * Measure a study file end to end, as `llem run` does, and return its StudyResult (result schema 4.0's study layout). Throws ConfigError
 * on bad input and PreflightError when the machine is not ready.
 */
export async function runStudyFile(
  path: string,
  options: {
    outputDir?: string;
    /** A study directory to resume. */
    resumeDir?: string;
    env?: Record<string, string | undefined>;
    onEvent?: (event: StudyEvent) => void;
    signal?: AbortSignal;
  } = {},
): Promise<StudyResult> {
  const request = resolveStudyRequest({
    configPath: path,
    cwd: Deno.cwd(),
    ...(options.outputDir !== undefined ? { outputDir: options.outputDir } : {}),
    ...(options.resumeDir !== undefined ? { resume: { dir: options.resumeDir } } : {}),
  }, options.env ?? Deno.env.toObject());
  const measured = await measureStudy(request, {
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (measured.kind === "preflight") throw new PreflightError(measured.report.problems);
  return studyResult(request.plan, measured.outcome);
}
