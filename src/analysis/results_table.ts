import { valueAtPath } from "../config/value_at_path.ts";
import { type MetricSummary, metricSummary } from "./metric_summary.ts";
import { stabilityChecks, type StabilityInput } from "./stability_checks.ts";

/** What the table reads of a result.json (schema 4.0). */
export interface ResultFields extends StabilityInput {
  total_energy_j: number;
  total_inference_time_sec: number;
  avg_tokens_per_second: number;
  mj_per_tok_total: number | null;
  mj_per_tok_adjusted: number | null;
  measurement_warnings: readonly string[];
  latency_stats: {
    ttft_median_ms: number | null;
    ttft_p90_ms?: number | null;
    itl_median_ms: number | null;
    itl_p90_ms?: number | null;
    tpot_median_ms?: number | null;
  } | null;
}

/** What the table reads of a loaded study (LoadedStudy has it). */
export interface StudyForTable {
  dir: string;
  manifest: { study_name: string | null; status: string };
  plan: {
    varying_keys: readonly string[];
    experiments: readonly { id: number; config: Record<string, unknown> }[];
  };
  runs: readonly {
    entry: { experiment: number; status: string; error: { type: string } | null };
    result: ResultFields | null;
    problem: string | null;
  }[];
}

/** A headline metric: its key (JSON, CSV, --sort), its column label, digits shown, and how a result gives it. */
export interface HeadlineMetric {
  key: string;
  label: string;
  digits: number;
  /** Shown in the text and HTML tables (JSON and CSV have every metric). */
  inTable: boolean;
  of(result: ResultFields): number | null;
}

/** A latency percentile of result.json's latency_stats, milliseconds. */
function latencyMetric(
  metric: {
    key: string;
    label: string;
    field: keyof NonNullable<ResultFields["latency_stats"]>;
    inTable: boolean;
  },
): HeadlineMetric {
  return {
    key: metric.key,
    label: metric.label,
    digits: metric.key.startsWith("ttft") ? 1 : 2,
    inTable: metric.inTable,
    of: (r) => r.latency_stats?.[metric.field] ?? null,
  };
}

/** The metrics `llem results` summarises across cycles, in column order. */
export const HEADLINE_METRICS: readonly HeadlineMetric[] = [
  { key: "energy_j", label: "energy J", digits: 1, inTable: true, of: (r) => r.total_energy_j },
  { key: "mj_per_tok", label: "mJ/tok", digits: 3, inTable: true, of: (r) => r.mj_per_tok_total },
  { key: "mj_per_tok_adj", label: "mJ/tok adj", digits: 3, inTable: true, of: (r) => r.mj_per_tok_adjusted },
  { key: "tok_per_s", label: "tok/s", digits: 1, inTable: true, of: (r) => r.avg_tokens_per_second },
  {
    key: "power_w",
    label: "power W",
    digits: 1,
    inTable: true,
    of: (r) => (r.total_inference_time_sec > 0 ? r.total_energy_j / r.total_inference_time_sec : null),
  },
  latencyMetric({ key: "ttft_p50_ms", label: "TTFT p50 ms", field: "ttft_median_ms", inTable: true }),
  latencyMetric({ key: "itl_p50_ms", label: "ITL p50 ms", field: "itl_median_ms", inTable: true }),
  latencyMetric({ key: "ttft_p90_ms", label: "TTFT p90 ms", field: "ttft_p90_ms", inTable: false }),
  latencyMetric({ key: "itl_p90_ms", label: "ITL p90 ms", field: "itl_p90_ms", inTable: false }),
  latencyMetric({ key: "tpot_p50_ms", label: "TPOT p50 ms", field: "tpot_median_ms", inTable: false }),
];

/** A coefficient of variation across cycles above this flags the experiment as unstable. */
export const UNSTABLE_CV = 0.1;

/** One row of `llem results`: an experiment of a study, its cycles, its metrics across them, its flags. */
export interface ExperimentRow {
  experiment: number;
  engine: string;
  model: string;
  /** The swept keys' values for this experiment. */
  values: Record<string, unknown>;
  cycles: { planned: number; completed: number; failed: number; pending: number; skipped: number };
  metrics: Record<string, MetricSummary>;
  /** Warnings across its runs' result.json files. */
  warnings: number;
  /** What a reader must know: cycles missing, failures, unreadable results, instability, warnings. */
  flags: string[];
}

/** One row per experiment of the study's plan, in plan order, from its completed runs' results. */
export function resultsTable(study: StudyForTable): ExperimentRow[] {
  return study.plan.experiments.map((experiment) => {
    const runs = study.runs.filter((run) => run.entry.experiment === experiment.id);
    const results = runs.flatMap((run) => (run.result ? [run.result] : []));
    const metrics = Object.fromEntries(
      HEADLINE_METRICS.map((metric) => [metric.key, metricSummary(results.map((r) => metric.of(r)))]),
    );
    const count = (status: string) => runs.filter((run) => run.entry.status === status).length;
    const cycles = {
      planned: runs.length,
      completed: results.length,
      failed: count("failed"),
      pending: count("pending") + count("running"),
      skipped: count("skipped"),
    };
    const warnings = results.reduce((sum, r) => sum + r.measurement_warnings.length, 0);
    return {
      experiment: experiment.id,
      engine: String(experiment.config.engine ?? ""),
      model: String(experiment.config.model ?? ""),
      values: Object.fromEntries(
        study.plan.varying_keys.map((key) => [key, valueAtPath(experiment.config, key)]),
      ),
      cycles,
      metrics,
      warnings,
      flags: flagsOf({ runs, cycles, metrics, warnings }),
    };
  });
}

function flagsOf(row: {
  runs: StudyForTable["runs"];
  cycles: ExperimentRow["cycles"];
  metrics: Record<string, MetricSummary>;
  warnings: number;
}): string[] {
  const flags: string[] = [];
  const { cycles } = row;
  if (cycles.completed < cycles.planned) flags.push(`${cycles.completed} of ${cycles.planned} cycles`);
  const failures = row.runs.flatMap((
    run,
  ) => (run.entry.status === "failed" ? [run.entry.error?.type ?? "?"] : []));
  if (failures.length) flags.push(`failed: ${[...new Set(failures)].join(", ")}`);
  if (cycles.pending) flags.push(`${cycles.pending} not run`);
  if (cycles.skipped) flags.push(`${cycles.skipped} skipped`);
  const unreadable = row.runs.filter((run) => run.problem !== null).length;
  if (unreadable) flags.push(`${unreadable} unreadable`);
  for (const metric of HEADLINE_METRICS.slice(0, 2)) {
    const cv = row.metrics[metric.key]?.cv;
    if (cv !== null && cv !== undefined && cv > UNSTABLE_CV) {
      flags.push(`unstable: ${metric.label} CV ${(cv * 100).toFixed(0)}%`);
    }
  }
  const failedChecks = row.runs.flatMap((run) => (run.result ? [stabilityChecks(run.result)] : []))
    .filter((failed) => failed.length > 0);
  if (failedChecks.length) {
    const checks = [...new Set(failedChecks.flat().map((failed) => failed.check))];
    flags.push(`${failedChecks.length} run(s) failed checks: ${checks.join(", ")}`);
  }
  if (row.warnings) flags.push(`${row.warnings} warning(s)`);
  return flags;
}
