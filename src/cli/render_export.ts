import { isEngineId } from "../engines/engine_id.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import type { LoadedStudy } from "../results/load_study.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import { maxOf } from "../measure/max_of.ts";
import { csvLine } from "./render_results.ts";

/** CodeCarbon 3.3.2's EmissionsData fields, in its order: the columns of its emissions.csv. */
export const CODECARBON_FIELDS = [
  "timestamp",
  "project_name",
  "run_id",
  "experiment_id",
  "duration",
  "emissions",
  "emissions_rate",
  "cpu_power",
  "gpu_power",
  "ram_power",
  "cpu_energy",
  "gpu_energy",
  "ram_energy",
  "energy_consumed",
  "water_consumed",
  "country_name",
  "country_iso_code",
  "region",
  "cloud_provider",
  "cloud_region",
  "os",
  "python_version",
  "codecarbon_version",
  "cpu_count",
  "cpu_model",
  "gpu_count",
  "gpu_model",
  "longitude",
  "latitude",
  "ram_total_size",
  "tracking_mode",
  "cpu_utilization_percent",
  "gpu_utilization_percent",
  "ram_utilization_percent",
  "ram_used_gb",
  "on_cloud",
  "pue",
  "wue",
] as const;

/** Joules in a kilowatt-hour. */
const JOULES_PER_KWH = 3.6e6;

/** The completed runs of a study with their results, in run order. */
function completedRuns(study: LoadedStudy): { dir: string; result: ExperimentResult }[] {
  return study.runs.flatMap((run) => (run.result ? [{ dir: run.entry.dir, result: run.result }] : []));
}

/**
 * A run's figures for a peer's format: where its measurement window starts (Unix seconds), and the span
 * `total_energy_j` covers (the measured slice: the window, or the window without its edges), whose
 * duration every power and rate is over.
 */
function windowOf(result: ExperimentResult): { start: number; seconds: number } {
  const window = result.energy_breakdown?.window_duration_s ?? result.total_inference_time_sec;
  return { start: Date.parse(result.end_time) / 1000 - window, seconds: result.total_inference_time_sec };
}

/** A run's energy over its whole window, which every request of the window shares. */
export function windowEnergy(result: ExperimentResult): number {
  return result.energy_breakdown?.window_energy_j ?? result.total_energy_j;
}

/**
 * Zeus's window log: `start_time,window_name,elapsed_time,gpu{i}_energy` per run (the window's start in
 * Unix seconds, the run's directory as the window's name, the measured slice's length and each GPU's joules
 * over it), as Zeus's ZeusMonitor writes with `log_file`.
 */
export function renderZeusCsv(study: LoadedStudy): string {
  const runs = completedRuns(study);
  const gpus = maxOf([1, ...runs.map(({ result }) => result.energy_per_device_j?.length ?? 1)])!;
  const header = [
    "start_time",
    "window_name",
    "elapsed_time",
    ...Array.from({ length: gpus }, (_, i) => `gpu${i}_energy`),
  ];
  const rows = runs.map(({ dir, result }) => {
    const window = windowOf(result);
    return [
      window.start,
      dir,
      window.seconds,
      ...Array.from(
        { length: gpus },
        (_, i) => result.energy_per_device_j?.[i] ?? (i === 0 ? result.total_energy_j : null),
      ),
    ];
  });
  return [csvLine(header), ...rows.map(csvLine)].join("\n") + "\n";
}

/**
 * CodeCarbon's emissions.csv, a row per run: its window's duration, GPU energy in kWh and mean power, and
 * emissions at the grid intensity the user gave (gCO2e/kWh; llem never guesses a region). llem measures
 * GPUs only: CPU and RAM fields, location, utilisation and CodeCarbon's version are left empty, never
 * made up; `grid_intensity_g_per_kwh` is appended so the factor used stays with the numbers.
 */
export function renderCodeCarbonCsv(study: LoadedStudy, grid: { gPerKwh: number; pue: number }): string {
  const rows = completedRuns(study).map(({ dir, result }) => {
    const { seconds } = windowOf(result);
    const kwh = result.total_energy_j / JOULES_PER_KWH;
    const emissionsKg = kwh * grid.pue * grid.gPerKwh / 1000;
    const gpus = result.environment?.gpus ?? [];
    const fields: Partial<Record<(typeof CODECARBON_FIELDS)[number], unknown>> = {
      timestamp: result.end_time.slice(0, 19),
      project_name: study.manifest.study_name ?? study.plan.study_name,
      run_id: dir,
      experiment_id: result.measurement_config_hash,
      duration: seconds,
      emissions: emissionsKg,
      emissions_rate: seconds > 0 ? emissionsKg / seconds : 0,
      gpu_power: seconds > 0 ? result.total_energy_j / seconds : null,
      gpu_energy: kwh,
      energy_consumed: kwh,
      os: result.environment?.os ?? null,
      python_version: result.environment?.python ?? null,
      cpu_model: result.environment?.cpu_model ?? null,
      gpu_count: gpus.length || null,
      gpu_model: gpus.length ? `${gpus.length} x ${gpus[0]!.name}` : null,
      pue: grid.pue,
    };
    return [...CODECARBON_FIELDS.map((field) => fields[field] ?? null), grid.gPerKwh];
  });
  return [csvLine([...CODECARBON_FIELDS, "grid_intensity_g_per_kwh"]), ...rows.map(csvLine)].join("\n") +
    "\n";
}

/**
 * The ML.ENERGY leaderboard's task file: one configuration per experiment, its figures the mean over its
 * completed cycles (energy per output token and per request, mean power, output length, ITL percentiles,
 * output throughput). What llem does not know (a nickname, active parameters) is null.
 */
export function renderMlEnergy(study: LoadedStudy): string {
  const runs = completedRuns(study);
  const configurations = study.plan.experiments.flatMap((experiment) => {
    const results = study.runs.flatMap((run) =>
      run.entry.experiment === experiment.id && run.result ? [run.result] : []
    );
    if (results.length === 0) return [];
    const mean = (of: (r: ExperimentResult) => number | null) => meanOf(results.map(of));
    const first = results[0]!;
    const gpus = first.environment?.gpus ?? [];
    return [{
      model_id: first.model_name,
      nickname: null,
      gpu_model: gpus[0]?.name ?? null,
      num_gpus: gpus.length || null,
      total_params_billions: first.flops_estimate?.parameters ? first.flops_estimate.parameters / 1e9 : null,
      activated_params_billions: null,
      weight_precision: first.flops_estimate?.dtype ?? null,
      max_num_seqs: valueAt(experiment.config, ["generation", "batch_size"]),
      tensor_parallel: tensorParallel(experiment.config),
      energy_per_token_joules: mean((r) => (r.mj_per_tok_total === null ? null : r.mj_per_tok_total / 1000)),
      energy_per_request_joules: mean((r) =>
        r.latency_stats?.request_count ? windowEnergy(r) / r.latency_stats.request_count : null
      ),
      avg_power_watts: mean((
        r,
      ) => (r.total_inference_time_sec > 0 ? r.total_energy_j / r.total_inference_time_sec : null)),
      avg_output_len: mean((
        r,
      ) => (r.latency_stats?.request_count ? r.output_tokens! / r.latency_stats.request_count : null)),
      median_itl_ms: mean((r) => r.latency_stats?.itl_median_ms ?? null),
      p90_itl_ms: mean((r) => r.latency_stats?.itl_p90_ms ?? null),
      p95_itl_ms: mean((r) => r.latency_stats?.itl_p95_ms ?? null),
      p99_itl_ms: mean((r) => r.latency_stats?.itl_p99_ms ?? null),
      output_throughput_tokens_per_sec: mean((r) => r.avg_tokens_per_second),
      cycles: results.length,
    }];
  });
  const task = {
    task: study.manifest.study_name ?? study.plan.study_name,
    architecture: "llm",
    configurations,
  };
  return JSON.stringify({ ...task, runs: runs.length, source: "llem" }, null, 2) + "\n";
}

function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

function valueAt(config: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = config;
  for (const key of path) value = (value as Record<string, unknown> | null)?.[key];
  return value ?? null;
}

/** GPUs per pipeline stage of an experiment's engine (the engine's own 1 where unset). */
function tensorParallel(config: Record<string, unknown>): number {
  const engine = config.engine;
  if (!isEngineId(engine)) return 1;
  const options = ENGINES[engine].optionsSchema.safeParse(config[engine] ?? {});
  return options.success ? ENGINES[engine].parallelism(options.data).tensor : 1;
}
