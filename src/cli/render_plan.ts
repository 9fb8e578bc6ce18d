import type { StudyPlan } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { valueAtPath } from "../config/value_at_path.ts";
import { formatDuration } from "./format_duration.ts";
import { formatTable } from "./format_table.ts";

/** Runs and skipped points shown before the text plan says "use --all". */
export const SHOWN_ROWS = 200;

/** The human-readable plan: funnel, skipped points, runs in order, design hash, wall-time lower bound. */
export function renderPlan(plan: StudyPlan, options: { all?: boolean } = {}): string {
  const lines: string[] = [];
  const f = plan.funnel;
  const ex = plan.execution;
  lines.push(`study ${plan.study_name} (${plan.config_file})`);
  lines.push(`design hash ${plan.study_design_hash}`);
  lines.push("");
  lines.push("funnel");
  lines.push(
    `  ${f.declared} declared - ${f.invalid} invalid = ${f.valid} valid - ${f.duplicates} duplicate = ` +
      `${f.unique} unique x ${f.cycles} cycle${f.cycles === 1 ? "" : "s"} = ${f.runs} run${
        f.runs === 1 ? "" : "s"
      }`,
  );
  lines.push(
    `  sweep: ${plan.sweep.axes} ax${plan.sweep.axes === 1 ? "is" : "es"}, ${plan.sweep.groups} ` +
      `group${plan.sweep.groups === 1 ? "" : "s"}; order ${ex.order}` +
      (plan.effective_shuffle_seed !== null ? ` (seed ${plan.effective_shuffle_seed})` : "") +
      `; ${plan.sessions} session${plan.sessions === 1 ? "" : "s"}` + sessionNote(plan),
  );

  if (plan.skipped.length > 0) {
    lines.push("");
    lines.push(`skipped (${plan.skipped.length})`);
    const limit = options.all ? Infinity : SHOWN_ROWS;
    for (const point of plan.skipped.slice(0, limit)) {
      lines.push(`  point ${point.index + 1}: ${point.engine}${valuesText(point.swept, ", ")}`);
      for (const reason of point.reasons) {
        lines.push(`    ${reason.rule}: ${reason.message}`);
        lines.push(`    hint: ${reason.hint}`);
      }
    }
    if (plan.skipped.length > limit) {
      lines.push(`  ... ${plan.skipped.length - limit} more (--all shows every one)`);
    }
  }

  const duplicates = plan.experiments.filter((e) => e.members.length > 1);
  if (duplicates.length > 0) {
    lines.push("");
    lines.push(`duplicates collapsed (${duplicates.length} group${duplicates.length === 1 ? "" : "s"})`);
    for (const e of duplicates.slice(0, options.all ? Infinity : SHOWN_ROWS)) {
      lines.push(
        `  experiment ${e.id} ${e.measurement_config_hash}: points ${e.members.map((m) => m + 1).join(", ")}`,
      );
    }
  }

  lines.push("");
  lines.push("runs in execution order");
  const limit = options.all ? Infinity : SHOWN_ROWS;
  const experiments = new Map(plan.experiments.map((e) => [e.id, e]));
  const rows = plan.runs.slice(0, limit).map((run) => {
    const values = experimentValues(plan, experiments.get(run.experiment)!.config);
    return [
      String(run.index),
      String(run.cycle),
      String(run.experiment),
      run.engine,
      run.model,
      run.measurement_config_hash,
      values,
    ];
  });
  lines.push(...formatTable(["run", "cycle", "exp", "engine", "model", "config hash", "values"], rows));
  if (plan.runs.length > limit) lines.push(`  ... ${plan.runs.length - limit} more (--all shows every one)`);

  const w = plan.wall_time_lower_bound;
  lines.push("");
  lines.push(`wall time at least ${formatDuration(w.total_seconds)}, plus loading and inference`);
  lines.push(
    `  gaps ${formatDuration(w.experiment_gaps_seconds)} between experiments, ` +
      `${formatDuration(w.cycle_gaps_seconds)} between cycles; thermal floors ${
        formatDuration(w.thermal_floor_seconds)
      }; ` +
      `warmups ${formatDuration(w.warmup_seconds)}; baselines ${formatDuration(w.baseline_seconds)}`,
  );
  if (plan.warnings.length > 0) {
    lines.push("");
    for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  }
  return lines.join("\n") + "\n";
}

/** What sets an experiment apart in its plan: `key=value` for each of the plan's varying keys. */
export function experimentValues(plan: StudyPlan, config: ExperimentConfig): string {
  return plan.varying_keys.flatMap((key) => {
    const value = valueAtPath(config, key);
    return value === undefined ? [] : [`${key}=${show(value)}`];
  }).join(" ");
}

function valuesText(values: Record<string, unknown>, lead: string): string {
  const entries = Object.entries(values).filter(([key]) => key !== "engine");
  return entries.length ? lead + entries.map(([k, v]) => `${k}=${show(v)}`).join(" ") : "";
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** How the runs share sessions, and what grouping them saved. */
function sessionNote(plan: StudyPlan): string {
  if (!plan.execution.reuse_sessions) return " (reuse_sessions: false: one per run)";
  if (plan.session_grouping === "as_declared") {
    return ` (a model stays loaded across consecutive runs; order ${plan.execution.order} is not regrouped by model load)`;
  }
  return plan.sessions < plan.sessions_as_declared
    ? ` (runs that load the model alike are grouped; ${plan.sessions_as_declared} in the declared order)`
    : " (a model stays loaded across consecutive runs)";
}
