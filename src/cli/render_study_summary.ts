import type { StudyPlan } from "../config/build_plan.ts";
import { type Manifest, type MetricUncertainty, uncertaintyKey } from "../results/manifest_schema.ts";
import { formatTable } from "./format_table.ts";
import { experimentValues } from "./render_plan.ts";

/** A mean across cycles with its 95% CI half-width when there are two or more: "12.3 ±0.4". */
function meanText(stats: MetricUncertainty | undefined, digits: number): string {
  if (!stats || stats.mean === null) return "-";
  const mean = stats.mean.toFixed(digits);
  return stats.n >= 2 && stats.ci95_high !== null
    ? `${mean} ±${(stats.ci95_high - stats.mean).toFixed(digits)}`
    : mean;
}

/**
 * The table printed when a study ends: one row per experiment of the plan, in plan order, with what sets
 * it apart, its runs (completed of all, and how the others failed), and its headline figures as the mean
 * across completed cycles ±95% CI (the manifest's `uncertainty`).
 */
export function renderStudySummary(plan: StudyPlan, manifest: Manifest): string[] {
  const rows = plan.experiments.map((experiment) => {
    const runs = manifest.experiments.filter((r) => r.experiment === experiment.id);
    const completed = runs.filter((r) => r.status === "completed").length;
    const failures = [
      ...new Set(runs.flatMap((r) => (r.status === "failed" && r.error ? [r.error.type] : []))),
    ];
    const stats = manifest.uncertainty?.[uncertaintyKey(experiment.id)];
    return [
      String(experiment.id),
      experiment.config.engine,
      experiment.config.model,
      experimentValues(plan, experiment.config),
      `${completed}/${runs.length}${failures.length ? ` (${failures.join(", ")})` : ""}`,
      meanText(stats?.total_energy_j, 1),
      meanText(stats?.mj_per_tok_total, 3),
      meanText(stats?.mj_per_tok_adjusted, 3),
      meanText(stats?.avg_tokens_per_second, 1),
    ];
  });
  const header = ["exp", "engine", "model", "values", "runs ok", "energy J", "mJ/tok", "mJ/tok adj", "tok/s"];
  // Drop the values column when nothing varies (a single experiment).
  const keep = header.map((_, i) => i !== 3 || rows.some((r) => r[3] !== ""));
  const pick = (cells: string[]) => cells.filter((_, i) => keep[i]);
  return ["summary (mean across cycles ±95% CI)", ...formatTable(pick(header), rows.map(pick))];
}
