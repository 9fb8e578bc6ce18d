import { z } from "zod";
import { engineIdSchema } from "../engines/engine_id.ts";

/** The result.json layout this llem writes: schema version 4.0 of LLenergyMeasure, the tool llem replaces. */
export const RESULT_SCHEMA_VERSION = "4.0";

/** Nullable number with a description. */
const num = (description: string) => z.number().nullable().describe(description);
/** Nullable non-negative number with a description. */
const nonNegative = (description: string) => z.number().min(0).nullable().describe(description);
/** Nullable count. */
const count = (description: string) => z.int().min(0).nullable().describe(description);

const STATISTICS = ["mean", "median", "p90", "p95", "p99", "min", "max"] as const;
type Statistic = typeof STATISTICS[number];

/**
 * `<prefix>_{mean,median,p90,p95,p99,min,max}_ms` plus `<prefix>_samples`: a latency distribution,
 * milliseconds, percentiles by linear interpolation (NumPy's default).
 */
function latencyFields<P extends string>(prefix: P, what: string, statistics: readonly Statistic[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const statistic of statistics) {
    const label = statistic === "median" ? "median (p50)" : statistic;
    shape[`${prefix}_${statistic}_ms`] = nonNegative(`${label} of ${what}, milliseconds; null without data`);
  }
  shape[`${prefix}_samples`] = z.int().min(0).describe(`values behind the ${prefix} statistics`);
  return shape as
    & { [K in `${P}_${Statistic}_ms`]: z.ZodNullable<z.ZodNumber> }
    & { [K in `${P}_samples`]: z.ZodInt };
}

/** Which idle power was subtracted to give adjusted energy. */
export const baselineMethodSchema = z.enum(["idle_cached", "idle_fresh", "loaded_idle"]).describe(
  "idle_cached: bare-idle power from the per-GPU baseline cache (re-validated by a spot check); idle_fresh: " +
    "bare-idle power measured for this session; loaded_idle: power with the model loaded and nothing running",
);

/** How a window's energy was measured. */
export const energyMethodSchema = z.enum(["nvml_energy_counter", "power_integration", "mixed"]).describe(
  "nvml_energy_counter: difference of NVML's total energy counter read at the window edges; " +
    "power_integration: trapezoidal integral of sampled power (GPUs without the counter); mixed: GPUs differ",
);

/** The host CPU's and DRAM's energy over the window, from Linux RAPL. */
export const cpuEnergySchema = z.strictObject({
  package_j: nonNegative(
    "energy of every CPU package over the whole window (go to done), joules; null where not measured",
  ),
  dram_j: nonNegative(
    "energy of every DRAM domain over the whole window, joules; null where the host reports none",
  ),
  domains: z.array(z.strictObject({
    domain: z.string().describe("the powercap zone, e.g. intel-rapl:0:1"),
    name: z.string().describe("the zone's name: package-N, dram, core, uncore, psys"),
    socket: z.int().min(0).describe("the package (socket) N of intel-rapl:N"),
    energy_j: nonNegative("the zone's energy over the whole window, joules; null when a read failed"),
  })).describe("every RAPL zone read (core and uncore are parts of a package, psys the whole platform)"),
  method: z.literal("rapl_powercap").nullable().describe(
    "rapl_powercap: Linux's powercap counters, read at the window's edges (wraps undone); null when unmeasured",
  ),
  unavailable_reason: z.string().nullable().describe(
    "why CPU energy, or its DRAM part, is missing (no powercap, counters readable by root only, a failed " +
      "read, no DRAM zone); null when both are measured",
  ),
}).describe(
  "CPU and DRAM energy of the whole host (every process on it, other llem processes included), never zero " +
    "for unmeasured: null with the reason",
);

/** EnergyBreakdown: raw and baseline-adjusted energy and how each was obtained. */
export const energyBreakdownSchema = z.strictObject({
  raw_j: z.number().min(0).describe("energy of all GPUs over the measured slice, joules (= total_energy_j)"),
  adjusted_j: nonNegative("raw_j − baseline_energy_j, floored at 0, joules; null without a baseline"),
  baseline_power_w: nonNegative("the idle power subtracted, summed over the run's GPUs, watts"),
  baseline_method: baselineMethodSchema.nullable(),
  baseline_energy_j: nonNegative("baseline_power_w × adjustment_duration_s, joules; null without a baseline"),
  adjustment_duration_s: z.number().min(0).describe(
    "seconds the baseline was subtracted over: the measured slice",
  ),
  adjustment_floored: z.boolean().describe("raw − baseline was negative and adjusted_j was floored at 0"),
  idle_baseline_power_w: nonNegative(
    "bare-idle power (no process on the GPUs), summed over GPUs, watts; null when not measured",
  ),
  loaded_idle_power_w: nonNegative(
    "power with the model loaded and idle, summed over GPUs, watts; null when not measured",
  ),
  window_energy_j: z.number().min(0).describe(
    "energy of all GPUs over the whole measurement window (go to done), joules",
  ),
  window_duration_s: z.number().min(0).describe("the whole window, seconds, from the host's edge reads"),
  counter_energy_j: nonNegative(
    "whole-window energy from the NVML energy counter, summed over GPUs, joules; null where a GPU has none",
  ),
  integrated_energy_j: nonNegative(
    "whole-window energy from integrated power samples, summed over GPUs, joules; null where a GPU has none",
  ),
  max_disagreement_fraction: nonNegative(
    "largest |counter − integrated| / counter over the GPUs; null unless both methods worked",
  ),
  slice_energy_basis: z.enum(["window", "window_minus_edges", "samples"]).describe(
    "window: the slice is the window (its edge counter reads); window_minus_edges: the window's energy less " +
      "the sampled stretches outside the slice; samples: the slice measured from samples alone",
  ),
  slice_edge_source: z.enum(["energy_counter_samples", "power_samples"]).nullable().describe(
    "how the sampled stretches were measured: the sampler's energy-counter readings, or integrated power; " +
      "null when none were needed",
  ),
  slice_output_tokens: z.number().min(0).describe(
    "output tokens in the measured slice before rounding to total_tokens (fractional where attributed)",
  ),
  token_attribution: z.enum(["all_requests", "token_times", "proportional", "mixed"]).describe(
    "how output tokens were placed in the slice: all_requests (the whole window), token_times (per-token " +
      "timestamps), proportional (each request's tokens spread over its span), mixed",
  ),
  cpu_energy: cpuEnergySchema.optional(),
  steady_state_onset: z.enum(["discard_fraction", "detected"]).nullable().describe(
    "how the steady_state slice's start was chosen: the fixed discard fraction, or detected where power " +
      "settled; null unless measurement_methodology is steady_state",
  ),
}).describe("how total and adjusted energy were obtained");

/** MultiGPUMetrics: per-device figures of a multi-GPU run. */
export const multiGpuSchema = z.strictObject({
  num_gpus: z.int().min(2).describe("GPUs in the run"),
  gpu_uuids: z.array(z.string()).describe("the GPUs, by NVML UUID, in the order of the other lists"),
  energy_per_gpu_j: z.array(z.number().min(0)).describe("each GPU's energy over the measured slice, joules"),
  energy_total_j: z.number().min(0).describe("sum over GPUs, joules (= total_energy_j)"),
  energy_per_output_token_j: nonNegative(
    "energy_total_j per output token (tokens counted once, not per GPU), joules; null for 0 tokens",
  ),
  energy_share: z.array(z.number().min(0).max(1)).nullable().describe(
    "each GPU's fraction of energy_total_j; null when the total is 0",
  ),
  energy_imbalance: nonNegative("(max − min) / mean of the per-GPU energies; null when the mean is 0"),
}).describe("per-device figures; null for a single-GPU run");

/** AggregationMetadata: how per-device energies became the run's. */
export const aggregationSchema = z.strictObject({
  method: z.literal("sum_over_devices").describe(
    "energies of all GPUs are summed; tokens are the run's, counted once",
  ),
  num_devices: z.int().min(1).describe("GPUs aggregated"),
  device_energy_methods: z.array(z.enum(["nvml_energy_counter", "power_integration"]).nullable())
    .describe("each GPU's energy method over the window, in gpu order"),
  mixed_energy_methods: z.boolean().describe("GPUs were measured by different methods"),
  warnings: z.array(z.string()).describe("aggregation problems (mixed methods, uneven load)"),
}).describe("aggregation method and quality flags");

/** A throttle reason's share of the window. */
const throttleReasonSchema = z.strictObject({
  duration_s: z.number().min(0).describe("seconds with the reason set (sample-and-hold), longest over GPUs"),
  first_s: z.number().describe("first sample with the reason set, seconds since the window opened"),
  last_s: z.number().describe("last sample with the reason set, seconds since the window opened"),
});

/** ThermalThrottleInfo: throttling, temperatures and the thermal floor of the window. */
export const thermalThrottleSchema = z.strictObject({
  throttle_detected: z.boolean().describe(
    "any of the reasons below was active on any GPU during the window (from sampled clock-event reasons)",
  ),
  thermal: z.boolean().describe("software or hardware thermal slowdown"),
  power: z.boolean().describe("power cap or power brake"),
  sw_thermal: z.boolean().describe("software thermal slowdown (NVML SW_THERMAL_SLOWDOWN)"),
  hw_thermal: z.boolean().describe("hardware thermal slowdown (NVML HW_THERMAL_SLOWDOWN)"),
  hw_slowdown: z.boolean().describe("hardware slowdown (NVML HW_SLOWDOWN: temperature or power brake)"),
  power_cap: z.boolean().describe("software power cap (NVML SW_POWER_CAP)"),
  power_brake: z.boolean().describe("hardware power brake (NVML HW_POWER_BRAKE_SLOWDOWN)"),
  throttle_duration_sec: z.number().min(0).describe(
    "longest time any one reason was active on any GPU, seconds (a lower bound of the throttled time)",
  ),
  reasons: z.partialRecord(
    z.enum(["power_cap", "hardware_slowdown", "thermal_software", "thermal_hardware", "power_brake"]),
    throttleReasonSchema,
  ).describe("each reason seen: how long, first and last seen"),
  sample_interval_s: z.number().min(0).describe(
    "sampling interval: reasons shorter than this may be missed",
  ),
  start_temperature_c: num("first sampled temperature in the window, hottest GPU, °C"),
  end_temperature_c: num("last sampled temperature in the window, hottest GPU, °C"),
  max_temperature_c: num("peak sampled temperature in the window over all GPUs, °C"),
  thermal_floor: z.strictObject({
    waited_s: z.number().min(0).describe("seconds waited before the window"),
    start_temperature_c: num("temperature when the wait began, °C"),
    end_temperature_c: num("temperature when the wait ended, °C"),
    target_temperature_c: num("temperature the wait aimed for (idle plus margin), °C"),
    reached: z.boolean().describe("the target was reached before max_seconds"),
  }).nullable().describe("the bounded cool-down before the window; null when disabled"),
}).describe("GPU thermal and power throttling during the window");

/** WarmupResult: the session's warmup before the window. */
export const warmupResultSchema = z.strictObject({
  mode: z.enum(["fixed", "converged"]).describe("fixed count, or until latency CV fell below target_cv"),
  converged: z.boolean().describe("the latency CV fell below target_cv (always true for fixed)"),
  final_cv: nonNegative("coefficient of variation of the last latencies; null when too few"),
  iterations_completed: z.int().min(0).describe("warmup requests run"),
  target_cv: nonNegative("configured CV threshold; null in fixed mode"),
  max_iterations: z.int().min(0).describe("configured cap on warmup requests"),
  warmup_duration_sec: z.number().min(0).describe("seconds the warmup took"),
  latencies_ms: z.array(z.number().min(0)).describe("latency of each warmup request, milliseconds"),
}).describe("warmup convergence; shared by the experiments of one engine session");

/** LatencyStatistics: TTFT, ITL and TPOT of the window. */
export const latencyStatsSchema = z.strictObject({
  measurement_mode: z.enum(["true_streaming", "proportional", "per_request_batch"]).describe(
    "true_streaming: engine timestamps of first tokens (and of every token where ITL is given); " +
      "proportional: ITL estimated per request as decode time / (output tokens − 1); per_request_batch: " +
      "only each static batch's start and end. Names the weakest signal present",
  ),
  profiled: z.boolean().describe(
    "latency profiling was on: per-token timing was captured and may have perturbed energy and latency",
  ),
  request_count: z.int().min(0).describe("requests in the window"),
  ...latencyFields("ttft", "time to first token (request start to first output token)", STATISTICS),
  ...latencyFields(
    "itl",
    "inter-token latency (gap between consecutive output tokens, per token)",
    STATISTICS,
  ),
  itl_source: z.enum(["token_times", "decode_average"]).nullable().describe(
    "token_times: per-token timestamps; decode_average: the proportional estimate; null: no ITL",
  ),
  ...latencyFields(
    "tpot",
    "time per output token per request, (E2E − TTFT) / (output tokens − 1)",
    STATISTICS,
  ),
}).describe("latency statistics over the whole window's requests");

/** ExtendedEfficiencyMetrics: efficiency beyond the headline figures; leaves null where not computable. */
export const extendedMetricsSchema = z.strictObject({
  tpot_ms: nonNegative("mean time per output token, (E2E − TTFT) / (output tokens − 1), milliseconds"),
  token_efficiency_index: nonNegative(
    "avg_tokens_per_second × output tokens per joule × precision_factor; null for 0 tokens or energy",
  ),
  precision_factor: z.number().min(0).describe(
    "effective-work factor of the compute dtype: 1 for 16/32-bit floats, 0.5 for 8-bit, 0.25 for 4-bit",
  ),
  memory: z.strictObject({
    total_vram_mb: nonNegative("memory of the run's GPUs, summed, MiB"),
    model_memory_mb: nonNegative("memory the engine reported after loading the model, MiB"),
    peak_memory_mb: nonNegative("peak NVML memory used during the slice, per GPU, summed, MiB"),
    kv_cache_mb: nonNegative("KV-cache size, MiB; not reported by the engines yet"),
    tokens_per_gb_vram: nonNegative("output tokens per GiB of peak memory"),
    model_memory_utilisation: nonNegative("model_memory_mb / total_vram_mb (0-1)"),
    kv_cache_memory_ratio: nonNegative("kv_cache_mb / peak_memory_mb (0-1)"),
  }).describe("memory efficiency"),
  gpu_utilisation: z.strictObject({
    sm_utilisation_mean: nonNegative("mean NVML GPU utilisation over the slice's samples, all GPUs, percent"),
    sm_utilisation_samples: z.int().min(0).describe("samples behind sm_utilisation_mean"),
    memory_bandwidth_utilisation: nonNegative(
      "mean NVML memory utilisation (share of time the memory controller was busy, not bandwidth), percent",
    ),
  }).describe("GPU utilisation during the slice"),
  batch: z.strictObject({
    num_batches: count("static batches run (1 for engines that take the window in one call)"),
    effective_batch_size: nonNegative("requests per static batch, mean"),
    batch_utilisation: nonNegative("effective_batch_size / configured batch_size (0-1)"),
    padding_overhead: nonNegative(
      "share of static-batch token slots that were padding: prompts padded to the longest, rows run to the " +
        "longest output (0-1)",
    ),
  }).describe("static-batching efficiency; null for continuous batching (vLLM)"),
  kv_cache: z.strictObject({
    kv_cache_hit_rate: nonNegative("prefix-cache hit rate (0-1); not reported by the engines yet"),
    kv_cache_blocks_used: count("KV-cache blocks used; not reported by the engines yet"),
    kv_cache_blocks_total: count("KV-cache blocks available; not reported by the engines yet"),
  }).describe("KV-cache efficiency"),
  request_latency: z.strictObject({
    e2e_latency_mean_ms: nonNegative("mean request latency, start to last token, milliseconds"),
    e2e_latency_median_ms: nonNegative("median request latency, milliseconds"),
    e2e_latency_p90_ms: nonNegative("90th percentile request latency, milliseconds"),
    e2e_latency_p95_ms: nonNegative("95th percentile request latency, milliseconds"),
    e2e_latency_p99_ms: nonNegative("99th percentile request latency, milliseconds"),
    e2e_latency_samples: z.int().min(0).describe("requests behind the statistics"),
  }).describe("per-request end-to-end latency; static batches give each row its batch's time"),
}).describe("efficiency metrics beyond the headline ones; a leaf is null where not computable");

/** The FLOPs estimate's provenance (an addition to the seed). */
export const flopsEstimateSchema = z.strictObject({
  method: z.string().describe('formula used, or "unavailable"'),
  confidence: z.enum(["high", "medium", "low"]).describe("how much to trust total_flops"),
  non_embedding_parameters: count("N in 2·N per token"),
  parameters: count("parameters reported by the engine"),
  layers: count("transformer layers"),
  hidden_size: count("hidden size"),
  vocab_size: count("vocabulary size"),
  dtype: z.string().nullable().describe("dtype the engine loaded the weights in"),
  notes: z.array(z.string()).describe("caveats of the estimate"),
}).describe("how total_flops was estimated");

/** One GPU of the run, as discovered. */
const environmentGpuSchema = z.strictObject({
  index: z.int().min(0).describe("NVML index (not necessarily CUDA's)"),
  uuid: z.string().describe("NVML UUID"),
  pci_bus_id: z.string().nullable().describe("PCI bus id"),
  name: z.string().describe("product name"),
  memory_total_bytes: z.number().min(0).describe("total memory, bytes"),
  compute_capability: z.string().nullable().describe('CUDA compute capability, e.g. "9.0"'),
  power_limit_w: nonNegative("configured power limit, watts"),
  enforced_power_limit_w: nonNegative("effective power limit after all limiters, watts"),
  persistence_mode: z.boolean().nullable().describe("persistence mode on"),
  mig_mode: z.boolean().nullable().describe("MIG mode on"),
  energy_counter: z.boolean().describe("the NVML total energy counter works on this GPU"),
  instant_power_field: z.boolean().describe("NVML's instantaneous power field works on this GPU"),
});

/** Where the experiment ran (an addition to the seed). */
export const environmentSchema = z.strictObject({
  hostname: z.string().nullable().describe("machine name"),
  os: z.string().describe("operating system and kernel"),
  cpu_model: z.string().nullable().describe("CPU model"),
  cpu_governor: z.string().nullable().describe("CPU frequency governor"),
  driver_version: z.string().describe("NVIDIA driver version"),
  cuda_driver_version: z.string().nullable().describe("CUDA version the driver supports"),
  nvml_library: z.string().describe("the libnvidia-ml loaded"),
  runner: z.string().describe("how the engine ran: docker, podman, apptainer or process"),
  runner_reason: z.string().nullable().describe("why runner: auto chose it"),
  image: z.string().nullable().describe("container image; null for the process runner"),
  python: z.string().nullable().describe("Python version of the harness"),
  harness_version: z.string().describe("llem harness version"),
  protocol_version: z.int().describe("harness protocol version"),
  llem_version: z.string().nullable().describe("llem version"),
  llem_commit: z.string().nullable().describe("llem git commit"),
  gpus: z.array(environmentGpuSchema).describe("the run's GPUs"),
  engine_observed_params: z.record(z.string(), z.unknown()).describe(
    "parameters the engine reported it actually used",
  ),
  simulated: z.string().min(1).optional().describe(
    "what was simulated (llem demo: the GPU and the engine): these numbers were not measured; absent for a real GPU",
  ),
}).describe("where and with what the experiment ran");

/**
 * result.json: one experiment run (LLenergyMeasure's ExperimentResult and on-disk layout, schema 4.0),
 * every seed field present and null only where the seed allows. Fields after `extended_metrics` are
 * llem's additions (optional, the schema's own rule for minor additions).
 */
export const experimentResultSchema = z.strictObject({
  schema_version: z.literal(RESULT_SCHEMA_VERSION).describe("result schema version"),
  experiment_id: z.string().min(1).describe("the run's directory name, e.g. 001_c0_gpt2-transformers_<hash>"),
  measurement_config_hash: z.string().regex(/^[0-9a-f]{16}$/).describe(
    "first 16 hex of SHA-256 of the canonical resolved config, environment fields left out",
  ),
  llenergymeasure_version: z.string().nullable().describe(
    "version of llem that produced the result (LLenergyMeasure's field name, kept for compatibility)",
  ),
  engine: engineIdSchema.describe("inference engine"),
  engine_version: z.string().nullable().describe("engine library version"),
  model_name: z.string().min(1).describe("Hugging Face model id or local path"),
  measurement_methodology: z.enum(["total", "steady_state", "windowed"]).describe(
    "which slice of the window the headline metrics cover: the whole window, the window less its ramp-up " +
      "(steady_state_discard_fraction, or the detected onset), or measurement.window_seconds; total when the " +
      "asked slice could not be honoured (see measurement_warnings)",
  ),
  steady_state_window: z.tuple([z.number().min(0), z.number().min(0)]).nullable().describe(
    "[start, end] of the measured slice, seconds since the window opened",
  ),
  total_tokens: z.int().min(0).describe(
    "output tokens generated in the measured slice (never padding); for total, all output tokens",
  ),
  total_energy_j: z.number().min(0).describe(
    "energy of all GPUs over the measured slice, joules, no baseline subtracted",
  ),
  energy_adjusted_j: nonNegative(
    "total_energy_j − baseline_power_w × total_inference_time_sec, floored at 0, joules; null without a baseline",
  ),
  total_inference_time_sec: z.number().min(0).describe("duration of the measured slice, seconds"),
  avg_tokens_per_second: z.number().min(0).describe("output tokens / total_inference_time_sec"),
  avg_energy_per_token_j: nonNegative(
    "total_energy_j / output tokens, joules; null for 0 tokens (the seed has no null: 0 tokens have no " +
      "per-token energy)",
  ),
  mj_per_tok_total: nonNegative("1000 × total_energy_j / output tokens, millijoules; null for 0 tokens"),
  mj_per_tok_adjusted: nonNegative(
    "1000 × energy_adjusted_j / output tokens, millijoules; null without a baseline or for 0 tokens",
  ),
  total_flops: z.number().min(0).describe(
    "estimated forward-pass FLOPs of every request of the window (see flops_estimate); 0 when unknown",
  ),
  flops_per_output_token: nonNegative("total_flops / output_tokens; null when either is 0"),
  flops_per_input_token: nonNegative("total_flops / input_tokens; null when either is 0"),
  flops_per_second: nonNegative("total_flops / whole window seconds; null when either is 0"),
  baseline_power_w: nonNegative("idle power subtracted, summed over GPUs, watts; null without a baseline"),
  energy_per_device_j: z.array(z.number().min(0)).nullable().describe(
    "each GPU's energy over the measured slice, joules, in environment.gpus order",
  ),
  energy_breakdown: energyBreakdownSchema.nullable(),
  multi_gpu: multiGpuSchema.nullable(),
  aggregation: aggregationSchema.nullable(),
  measurement_warnings: z.array(z.string()).describe("quality warnings: read them before using the numbers"),
  warmup_excluded_samples: count("warmup requests run before the window; null without a warmup"),
  reproducibility_notes: z.string().describe("fixed caveats of the method"),
  thermal_throttle: thermalThrottleSchema.nullable(),
  warmup_result: warmupResultSchema.nullable(),
  start_time: z.iso.datetime({ offset: true }).describe(
    "when the experiment began (thermal floor included), ISO-8601 UTC",
  ),
  end_time: z.iso.datetime({ offset: true }).describe("when the window closed, ISO-8601 UTC"),
  timeseries: z.string().nullable().describe(
    "relative name of the timeseries sidecar (timeseries.parquet); null when not written",
  ),
  latency_stats: latencyStatsSchema.nullable(),
  extended_metrics: extendedMetricsSchema.nullable(),
  // llem's additions.
  input_tokens: z.int().min(0).optional().describe("prompt tokens of every request of the window"),
  output_tokens: z.int().min(0).optional().describe(
    "output tokens of every request of the window (= total_tokens for methodology total)",
  ),
  energy_method: energyMethodSchema.nullable().optional(),
  baseline_method: baselineMethodSchema.nullable().optional(),
  cycle: z.int().min(0).optional().describe("0-based cycle of the study"),
  flops_estimate: flopsEstimateSchema.optional(),
  environment: environmentSchema.nullable().optional(),
}).describe("llem result.json: one experiment run (schema 4.0)");

/** The content of result.json. */
export type ExperimentResult = z.output<typeof experimentResultSchema>;
