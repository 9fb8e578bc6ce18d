import type { MetricSummary } from "./metric_summary.ts";
import { type ExperimentRow, HEADLINE_METRICS } from "./results_table.ts";

/** "12.3 ±0.4": a mean and its 95% CI's half-width with two or more cycles; "-" without a value. */
export function meanText(stats: MetricSummary | undefined, digits: number): string {
  if (!stats || stats.mean === null) return "-";
  const mean = stats.mean.toFixed(digits);
  return stats.ci95_high !== null ? `${mean} ±${(stats.ci95_high - stats.mean).toFixed(digits)}` : mean;
}

/** The metrics the text and HTML tables show (JSON and CSV give every headline metric). */
const TABLE_METRICS = HEADLINE_METRICS.filter((metric) => metric.inTable);

/**
 * The columns every rendering of the results table shares (text, HTML): the experiment, its swept values,
 * its cycles and each headline metric as a mean ±95% CI. Renderers add their own (flags, a baseline).
 */
export function tableColumns(rows: readonly ExperimentRow[]): { header: string[]; cells: string[][] } {
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row.values)))];
  return {
    header: ["exp", "engine", "model", ...keys, "cycles", ...TABLE_METRICS.map((m) => m.label)],
    cells: rows.map((row) => [
      String(row.experiment),
      row.engine,
      row.model,
      ...keys.map((key) => valueText(row.values[key])),
      `${row.cycles.completed}/${row.cycles.planned}`,
      ...TABLE_METRICS.map((m) => meanText(row.metrics[m.key], m.digits)),
    ]),
  };
}

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "-";
}
