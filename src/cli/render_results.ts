import { type ExperimentRow, HEADLINE_METRICS } from "../analysis/results_table.ts";
import type { MetricSummary } from "../analysis/metric_summary.ts";
import { formatTable } from "./format_table.ts";

/** A study's rows with what identifies the study. */
export interface StudyRows {
  dir: string;
  name: string;
  status: string;
  runs: { total: number; completed: number };
  rows: ExperimentRow[];
}

/** "12.3 ±0.4": the mean and the 95% CI's half-width with two or more cycles; "-" without a value. */
function meanText(stats: MetricSummary | undefined, digits: number): string {
  if (!stats || stats.mean === null) return "-";
  const mean = stats.mean.toFixed(digits);
  return stats.ci95_high !== null ? `${mean} ±${(stats.ci95_high - stats.mean).toFixed(digits)}` : mean;
}

function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "-";
}

/** One table per study: a row per experiment, its swept values, cycles, metrics (mean ±95% CI) and flags. */
export function renderResultsText(studies: readonly StudyRows[]): string {
  const lines: string[] = [];
  for (const study of studies) {
    lines.push(
      `study ${study.name} (${study.status}, ${study.runs.completed} of ${study.runs.total} runs completed): ${study.dir}`,
    );
    const keys = [...new Set(study.rows.flatMap((row) => Object.keys(row.values)))];
    const header = [
      "exp",
      "engine",
      "model",
      ...keys,
      "cycles",
      ...HEADLINE_METRICS.map((m) => m.label),
      "flags",
    ];
    const cells = study.rows.map((row) => [
      String(row.experiment),
      row.engine,
      row.model,
      ...keys.map((key) => valueText(row.values[key])),
      `${row.cycles.completed}/${row.cycles.planned}`,
      ...HEADLINE_METRICS.map((m) => meanText(row.metrics[m.key], m.digits)),
      row.flags.join("; "),
    ]);
    lines.push(...formatTable(header, cells), "");
  }
  lines.push("mean across completed cycles ±95% CI (Student's t); flags: what is missing or unstable");
  return lines.join("\n") + "\n";
}

/** Statistics a CSV gives per metric, as `<metric>.<statistic>` columns. */
const CSV_STATISTICS = ["n", "mean", "std", "ci95_low", "ci95_high", "median", "q1", "q3", "cv"] as const;

/**
 * One CSV over every study: identity, `value.<key>` per swept key, cycles, `<metric>.<statistic>` summary
 * columns (never one column per cycle or request) and flags; RFC 4180 quoting.
 */
export function renderResultsCsv(studies: readonly StudyRows[]): string {
  const keys = [...new Set(studies.flatMap((s) => s.rows.flatMap((row) => Object.keys(row.values))))];
  const header = [
    "study",
    "study_dir",
    "experiment",
    "engine",
    "model",
    ...keys.map((key) => `value.${key}`),
    "cycles.planned",
    "cycles.completed",
    "cycles.failed",
    ...HEADLINE_METRICS.flatMap((m) => CSV_STATISTICS.map((s) => `${m.key}.${s}`)),
    "warnings",
    "flags",
  ];
  const lines = [header.map(csvCell).join(",")];
  for (const study of studies) {
    for (const row of study.rows) {
      const cells: unknown[] = [
        study.name,
        study.dir,
        row.experiment,
        row.engine,
        row.model,
        ...keys.map((key) => row.values[key]),
        row.cycles.planned,
        row.cycles.completed,
        row.cycles.failed,
        ...HEADLINE_METRICS.flatMap((m) => CSV_STATISTICS.map((s) => row.metrics[m.key]?.[s] ?? null)),
        row.warnings,
        row.flags.join("; "),
      ];
      lines.push(cells.map(csvCell).join(","));
    }
  }
  return lines.join("\n") + "\n";
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string"
    ? value
    : typeof value === "number"
    ? String(value)
    : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
