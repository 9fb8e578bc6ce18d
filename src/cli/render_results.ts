import type { BaselineComparison } from "../analysis/compare_to_baseline.ts";
import { type ExperimentRow, HEADLINE_METRICS } from "../analysis/results_table.ts";
import { tableColumns } from "../analysis/table_columns.ts";
import type { MeanComparison } from "../analysis/welch_difference.ts";
import type { Manifest } from "../results/manifest_schema.ts";
import { formatTable } from "./format_table.ts";

/** A row of the table, compared with its baseline experiment when --baseline was given. */
export type ResultRow = ExperimentRow & { baseline?: BaselineComparison & { study: string } };

/** A study's rows with what identifies the study. */
export interface StudyRows {
  dir: string;
  name: string;
  status: string;
  runs: { total: number; completed: number };
  /** What was simulated (llem demo); absent for a study measured on GPUs. */
  simulated?: string;
  rows: ResultRow[];
}

/** A loaded study's identity with its rows, as the renderers take it. */
export function studyRows(
  study: {
    dir: string;
    manifest: Pick<Manifest, "study_name" | "status" | "summary" | "simulated">;
    plan: { study_name: string };
  },
  rows: ResultRow[],
): StudyRows {
  const { manifest } = study;
  return {
    dir: study.dir,
    name: manifest.study_name ?? study.plan.study_name,
    status: manifest.status,
    runs: { total: manifest.summary.total_experiments, completed: manifest.summary.completed },
    ...(manifest.simulated ? { simulated: manifest.simulated } : {}),
    rows,
  };
}

/** Metrics the text table compares with a baseline (JSON and CSV compare every one). */
const COMPARED_IN_TEXT = ["mj_per_tok", "tok_per_s"];

/** "0.93× Δ -21.4 [-30.2, -12.6]": ratio, difference and its 95% CI (Welch); "-" without a comparison. */
function comparisonText(comparison: MeanComparison | undefined, digits: number): string {
  if (!comparison || comparison.difference === null) return "-";
  const ratio = comparison.ratio === null ? "" : `${comparison.ratio.toFixed(2)}× `;
  const interval = comparison.ci95_low === null
    ? ""
    : ` [${comparison.ci95_low.toFixed(digits)}, ${comparison.ci95_high!.toFixed(digits)}]`;
  return `${ratio}Δ ${comparison.difference.toFixed(digits)}${interval}`;
}

/** One table per study: a row per experiment, its swept values, cycles, metrics (mean ±95% CI) and flags. */
export function renderResultsText(studies: readonly StudyRows[]): string {
  const lines: string[] = [];
  for (const study of studies) {
    lines.push(
      `study ${study.name} (${study.status}, ${study.runs.completed} of ${study.runs.total} runs completed): ${study.dir}` +
        (study.simulated ? `\nSIMULATED: ${study.simulated}; no GPU was measured` : ""),
    );
    lines.push(...studyTable(study), "");
  }
  lines.push("mean across completed cycles ±95% CI (Student's t); flags: what is missing or unstable");
  if (studies.some((study) => study.rows.some((row) => row.baseline))) {
    lines.push("vs base: ratio of means, and the difference with its 95% CI (Welch's t)");
  }
  return lines.join("\n") + "\n";
}

function studyTable(study: StudyRows): string[] {
  const compared = study.rows.some((row) => row.baseline)
    ? HEADLINE_METRICS.filter((m) => COMPARED_IN_TEXT.includes(m.key))
    : [];
  const base = tableColumns(study.rows);
  const header = [
    ...base.header,
    ...(compared.length ? ["base exp", ...compared.map((m) => `${m.label} vs base`)] : []),
    "flags",
  ];
  const cells = study.rows.map((row, i) => [
    ...base.cells[i]!,
    ...(compared.length
      ? [
        row.baseline?.baseline ? String(row.baseline.baseline) : "none",
        ...compared.map((m) => comparisonText(row.baseline?.metrics[m.key], m.digits)),
      ]
      : []),
    row.flags.join("; "),
  ]);
  return formatTable(header, cells);
}

/** Statistics a CSV gives per metric, as `<metric>.<statistic>` columns. */
const CSV_STATISTICS = ["n", "mean", "std", "ci95_low", "ci95_high", "median", "q1", "q3", "cv"] as const;

/** What a CSV gives of each metric's comparison with the baseline, as `vs_base.<metric>.<field>` columns. */
const COMPARISON_FIELDS = ["ratio", "difference", "ci95_low", "ci95_high", "df"] as const;

/**
 * One CSV over every study: identity, `value.<key>` per swept key, cycles, `<metric>.<statistic>` summary
 * columns (never one column per cycle or request), the baseline comparison when there is one, and flags;
 * RFC 4180 quoting.
 */
export function renderResultsCsv(studies: readonly StudyRows[]): string {
  const compared = studies.some((study) => study.rows.some((row) => row.baseline));
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
    ...(compared ? ["base.study", "base.experiment", "base.by"] : []),
    ...(compared
      ? HEADLINE_METRICS.flatMap((m) => COMPARISON_FIELDS.map((f) => `vs_base.${m.key}.${f}`))
      : []),
    "warnings",
    "flags",
  ];
  const lines = [csvLine(header)];
  for (const study of studies) {
    for (const row of study.rows) lines.push(csvLine(csvRow(study, { row, keys, compared })));
  }
  return lines.join("\n") + "\n";
}

function csvRow(study: StudyRows, of: { row: ResultRow; keys: string[]; compared: boolean }): unknown[] {
  const { row, keys, compared } = of;
  const base = row.baseline;
  return [
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
    ...(compared ? [base?.study ?? null, base?.baseline ?? null, base?.by ?? null] : []),
    ...(compared
      ? HEADLINE_METRICS.flatMap((m) => COMPARISON_FIELDS.map((f) => base?.metrics[m.key]?.[f] ?? null))
      : []),
    row.warnings,
    row.flags.join("; "),
  ];
}

/** One CSV line (RFC 4180 quoting; null and undefined are empty). */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(",");
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
