import type { z } from "zod";
import { cpuEnergyTotals } from "../cpu/cpu_energy.ts";
import { type Distribution } from "../measure/distribution.ts";
import { energyAdjustment } from "../measure/energy_adjustment.ts";
import { extendedMetrics } from "../measure/extended_metrics.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { flopsEstimate } from "../measure/flops_estimate.ts";
import { latencyStats } from "../measure/latency_stats.ts";
import { measuredSlice } from "../measure/measured_slice.ts";
import { multiGpu } from "../measure/multi_gpu.ts";
import { type ThrottleReasonSummary, throttleSummary } from "../measure/throttle_summary.ts";
import { EnergyNotMeasuredError } from "./energy_not_measured_error.ts";
import { AUTO_FALLBACK_DISCARD_FRACTION } from "../config/experiment_config.ts";
import type { CpuMeasurement, ExperimentMeasurement, GpuMeasurement } from "./experiment_measurement.ts";
import {
  type cpuEnergySchema,
  type ExperimentResult,
  experimentResultSchema,
  RESULT_SCHEMA_VERSION,
} from "./result_schema.ts";
import { maxOf } from "../measure/max_of.ts";

/** The fixed caveats of llem's method, written to every result's `reproducibility_notes`. */
export const REPRODUCIBILITY_NOTES =
  "GPU energy only: CPU, DRAM, network and cooling are not included. Energy per GPU is the difference of " +
  "NVML's cumulative energy counter (nvmlDeviceGetTotalEnergyConsumption) read by the host at the window " +
  "edges, or, on GPUs without that counter, the trapezoidal integral of sampled power (see energy_method); " +
  "steady_state and windowed slices take the sampler's counter readings for the stretches they leave out. " +
  "NVIDIA's NVML documentation gives its power readings an accuracy of about +/-5% of the actual draw, and " +
  "the counter advances in steps, so short windows carry a larger relative error. Results depend on the " +
  "GPU's thermal state, clocks and power limit: llem waits for a thermal floor before each window and " +
  "records throttling, but compare configurations by their mean and 95% confidence interval over cycles, " +
  "not by single runs. Adjusted energy subtracts an idle baseline measured at another time. FLOPs are an " +
  "estimate from the model's shape, not a measurement.";

/** A measured slice shorter than this gets a warning: about ten updates of a ~100 ms energy counter. */
export const SHORT_SLICE_SECONDS = 1;

const REASON_FLAGS = {
  power_cap: "power_cap",
  hardware_slowdown: "hw_slowdown",
  thermal_software: "sw_thermal",
  thermal_hardware: "hw_thermal",
  power_brake: "power_brake",
} as const;

type ReasonName = keyof typeof REASON_FLAGS;

const sumOrNull = (values: (number | null)[]): number | null =>
  values.every((v): v is number => v !== null) ? values.reduce((a, b) => a + b, 0) : null;

/** "GPU 0: " before a GPU's own warnings. */
const gpuPrefix = (gpu: GpuMeasurement) => `GPU ${gpu.info.index} (${gpu.info.uuid}): `;

/** The idle power each GPU subtracts under the chosen baseline method, or null where it has none. */
function baselineWatts(m: ExperimentMeasurement): { watts: number | null; warnings: string[] } {
  if (m.baselineMethod === null) {
    const warnings = m.config.measurement.baseline.enabled
      ? ["the baseline was enabled but not measured: no adjusted energy"]
      : [];
    return { watts: null, warnings };
  }
  const perGpu = m.gpus.map((g) =>
    m.baselineMethod === "loaded_idle" ? g.loadedIdleWatts : g.idleBaselineWatts
  );
  const missing = m.gpus.filter((_, i) => perGpu[i] === null);
  if (missing.length) {
    return {
      watts: null,
      warnings: [
        `baseline ${m.baselineMethod} has no idle power for ${
          missing.map((g) => `GPU ${g.info.uuid}`).join(", ")
        }: no adjusted energy`,
      ],
    };
  }
  return { watts: sumOrNull(perGpu), warnings: [] };
}

/** Throttling over the window, merged over GPUs, times in seconds since the window opened. */
function thermalThrottle(m: ExperimentMeasurement): NonNullable<ExperimentResult["thermal_throttle"]> {
  const { startSeconds, endSeconds } = m.window;
  const summaries = m.gpus.map((g) => throttleSummary(g.samples, startSeconds, endSeconds));
  const reasons: Partial<Record<ReasonName, { duration_s: number; first_s: number; last_s: number }>> = {};
  for (const summary of summaries) {
    for (const [name, r] of Object.entries(summary.reasons) as [ReasonName, ThrottleReasonSummary][]) {
      const first = r.firstSeconds - startSeconds;
      const last = r.lastSeconds - startSeconds;
      const seen = reasons[name];
      reasons[name] = seen
        ? {
          duration_s: Math.max(seen.duration_s, r.durationSeconds),
          first_s: Math.min(seen.first_s, first),
          last_s: Math.max(seen.last_s, last),
        }
        : { duration_s: r.durationSeconds, first_s: first, last_s: last };
    }
  }
  const has = (name: ReasonName) => reasons[name] !== undefined;
  const floor = m.thermalFloor;
  return {
    throttle_detected: Object.keys(reasons).length > 0,
    thermal: has("thermal_software") || has("thermal_hardware"),
    power: has("power_cap") || has("power_brake"),
    sw_thermal: has("thermal_software"),
    hw_thermal: has("thermal_hardware"),
    hw_slowdown: has("hardware_slowdown"),
    power_cap: has("power_cap"),
    power_brake: has("power_brake"),
    throttle_duration_sec: maxOf([0, ...Object.values(reasons).map((r) => r.duration_s)])!,
    reasons,
    sample_interval_s: m.config.measurement.sample_interval_ms / 1000,
    start_temperature_c: maxOf(summaries.map((s) => s.temperatureStartCelsius)),
    end_temperature_c: maxOf(summaries.map((s) => s.temperatureEndCelsius)),
    max_temperature_c: maxOf(summaries.map((s) => s.temperatureMaxCelsius)),
    thermal_floor: floor && {
      waited_s: floor.waitedSeconds,
      start_temperature_c: floor.startTemperatureCelsius,
      end_temperature_c: floor.endTemperatureCelsius,
      target_temperature_c: floor.targetTemperatureCelsius,
      reached: floor.reached,
    },
  };
}

/** `<prefix>_{mean,...}_ms` and `<prefix>_samples` of a distribution, null leaves when it is null. */
function msFields<P extends string>(prefix: P, d: Distribution | null) {
  type Statistic = "mean" | "median" | "p90" | "p95" | "p99" | "min" | "max";
  return {
    [`${prefix}_mean_ms`]: d?.mean ?? null,
    [`${prefix}_median_ms`]: d?.median ?? null,
    [`${prefix}_p90_ms`]: d?.p90 ?? null,
    [`${prefix}_p95_ms`]: d?.p95 ?? null,
    [`${prefix}_p99_ms`]: d?.p99 ?? null,
    [`${prefix}_min_ms`]: d?.min ?? null,
    [`${prefix}_max_ms`]: d?.max ?? null,
    [`${prefix}_samples`]: d?.count ?? 0,
  } as { [K in `${P}_${Statistic}_ms`]: number | null } & { [K in `${P}_samples`]: number };
}

/**
 * The result.json of one finished window: pure assembly from what the study runner measured, by the
 * definitions of docs/methodology.md, validated against the schema before it is returned. Throws
 * EnergyNotMeasuredError when some GPU has no energy figure (the run then failed, it has no result).
 */
export function buildExperimentResult(m: ExperimentMeasurement): ExperimentResult {
  if (m.gpus.length === 0) throw new Error("an experiment measurement needs at least one GPU");
  const unmeasured = m.gpus.filter((g) => g.energy.energyJoules === null);
  if (unmeasured.length) {
    throw new EnergyNotMeasuredError(
      unmeasured.map((g) => ({ uuid: g.info.uuid, reason: g.energy.warnings.at(-1) ?? "no energy figure" })),
    );
  }
  const { config, done, loaded } = m;
  const measurement = config.measurement;
  const warnings: string[] = [
    ...(m.environment.simulated ? [`SIMULATED: ${m.environment.simulated}; no GPU was measured`] : []),
    ...m.warnings,
  ];
  for (const gpu of m.gpus) warnings.push(...gpu.energy.warnings.map((w) => gpuPrefix(gpu) + w));

  // Host time is the window's clock; the harness's times move onto it by the offset of its last token's
  // wall-clock twin (or, without one, by taking its start as the window's opening).
  const windowSeconds = m.window.endSeconds - m.window.startSeconds;
  const offset = done.finished_unix_s !== undefined
    ? done.finished_unix_s - done.finished_s
    : m.window.startSeconds - done.started_s;
  const relative = (t: number) => Math.min(Math.max(t + offset - m.window.startSeconds, 0), windowSeconds);
  const relativeRequests = done.requests.map((r) => ({
    output_tokens: r.output_tokens,
    start_s: relative(r.start_s),
    first_token_s: r.first_token_s === null ? null : relative(r.first_token_s),
    end_s: relative(r.end_s),
    token_times_s: r.token_times_s?.map(relative),
  }));

  const slice = measuredSlice({
    methodology: measurement.methodology,
    windowDurationSeconds: windowSeconds,
    discardFraction: measurement.steady_state_discard_fraction === "auto"
      ? AUTO_FALLBACK_DISCARD_FRACTION
      : measurement.steady_state_discard_fraction,
    detectOnset: measurement.steady_state_discard_fraction === "auto",
    windowSeconds: measurement.window_seconds,
    gpus: m.gpus.map((g) => ({
      windowEnergyJoules: g.energy.energyJoules,
      samples: g.samples.map((s) => ({
        timeSeconds: s.timeSeconds - m.window.startSeconds,
        energyJoules: s.energyJoules,
        powerWatts: s.powerWatts,
      })),
    })),
    requests: relativeRequests,
    sampleIntervalSeconds: measurement.sample_interval_ms / 1000,
  });
  warnings.push(...slice.warnings);
  const deviceJoules = slice.energyJoules.map((e) => e!);
  const totalJoules = deviceJoules.reduce((a, b) => a + b, 0);
  const duration = slice.durationSeconds;
  const totalTokens = Math.round(slice.outputTokens);
  const inputTokens = done.requests.reduce((a, r) => a + r.input_tokens, 0);
  const outputTokens = done.requests.reduce((a, r) => a + r.output_tokens, 0);
  const perToken = (joules: number | null) =>
    joules !== null && totalTokens > 0 ? joules / totalTokens : null;
  if (totalTokens === 0) warnings.push("no output tokens in the measured slice: per-token figures are null");
  if (duration < SHORT_SLICE_SECONDS) {
    warnings.push(
      `the measured slice lasted ${duration.toFixed(3)} s (under ${SHORT_SLICE_SECONDS} s): the energy ` +
        "counter's steps and the window-edge timing are a large share of it",
    );
  }

  const baseline = baselineWatts(m);
  warnings.push(...baseline.warnings);
  const adjustment = energyAdjustment(totalJoules, {
    baselinePowerWatts: baseline.watts,
    durationSeconds: duration,
  });
  warnings.push(...adjustment.warnings);

  const devices = multiGpu(
    m.gpus.map((g, i) => ({ uuid: g.info.uuid, energyJoules: deviceJoules[i]!, method: g.energy.method })),
    { outputTokens: totalTokens },
  );
  warnings.push(...devices.aggregation.warnings);
  const methods = new Set(m.gpus.map((g) => g.energy.method));
  const energyMethod = methods.size > 1 ? "mixed" : m.gpus[0]!.energy.method;

  const modelInfo = loaded.model_info;
  const flops = flopsEstimate(modelInfo, done.requests, { durationSeconds: windowSeconds });
  const latency = latencyStats(done.capture, done.requests, {
    latencyProfiling: measurement.latency_profiling,
  });
  if (measurement.latency_profiling) {
    warnings.push(
      "latency profiling was on: per-token timing perturbs energy and latency, so this run's figures are not " +
        "directly comparable with non-profiled runs",
    );
  }

  const throttle = thermalThrottle(m);
  if (throttle.throttle_detected) {
    warnings.push(
      `the GPU throttled during the window (${
        Object.entries(throttle.reasons).map(([name, r]) => `${name} ${r.duration_s.toFixed(2)} s`).join(", ")
      }): energy and throughput are not those of an unthrottled GPU`,
    );
  }
  const floor = m.thermalFloor;
  if (floor && !floor.reached) {
    warnings.push(
      `the thermal floor was not reached: waited ${floor.waitedSeconds.toFixed(1)} s, GPU at ${
        floor.endTemperatureCelsius ?? "?"
      } °C, target ${floor.targetTemperatureCelsius ?? "?"} °C`,
    );
  }
  const warmup = m.warmup;
  const warmupConfig = measurement.warmup;
  if (warmup && warmupConfig.mode === "converged" && !warmup.converged) {
    warnings.push(
      `warmup did not converge within ${warmupConfig.max_requests} requests (final CV ${
        warmup.final_cv?.toFixed(3) ?? "unknown"
      }, target ${warmupConfig.cv_threshold})`,
    );
  }

  const sliceStart = m.window.startSeconds + slice.startSeconds;
  const sliceEnd = m.window.startSeconds + slice.endSeconds;
  const extended = extendedMetrics({
    outputTokens: totalTokens,
    energyJoules: totalJoules,
    durationSeconds: duration,
    dtype: modelInfo.dtype ?? config.generation.dtype,
    tpotMs: latency?.tpotMs?.mean ?? null,
    requestLatencyMs: latency?.e2eMs ?? null,
    samples: m.gpus.flatMap((g) =>
      g.samples.filter((s) => s.timeSeconds >= sliceStart && s.timeSeconds <= sliceEnd)
    ),
    gpuMemoryTotalBytes: m.gpus.reduce((a, g) => a + g.info.memoryTotalBytes, 0),
    modelMemoryBytes: loaded.memory_bytes,
    batching: ENGINES[config.engine].batching,
    configuredBatchSize: config.generation.batch_size,
    requests: done.requests,
  });
  const e2e = extended.requestLatencyMs;
  const bases = slice.energyBasis;

  const result: ExperimentResult = {
    schema_version: RESULT_SCHEMA_VERSION,
    experiment_id: m.experimentId,
    measurement_config_hash: m.measurementConfigHash,
    llenergymeasure_version: m.environment.llemVersion,
    engine: config.engine,
    engine_version: m.engineVersion,
    model_name: config.model,
    measurement_methodology: slice.methodology,
    steady_state_window: [slice.startSeconds, slice.endSeconds],
    total_tokens: totalTokens,
    total_energy_j: totalJoules,
    energy_adjusted_j: adjustment.adjustedJoules,
    total_inference_time_sec: duration,
    avg_tokens_per_second: duration > 0 ? totalTokens / duration : 0,
    avg_energy_per_token_j: perToken(totalJoules),
    mj_per_tok_total: perToken(1000 * totalJoules),
    mj_per_tok_adjusted: perToken(
      adjustment.adjustedJoules === null ? null : 1000 * adjustment.adjustedJoules,
    ),
    total_flops: flops.totalFlops,
    flops_per_output_token: flops.flopsPerOutputToken,
    flops_per_input_token: flops.flopsPerInputToken,
    flops_per_second: flops.flopsPerSecond,
    baseline_power_w: baseline.watts,
    energy_per_device_j: deviceJoules,
    energy_breakdown: {
      raw_j: totalJoules,
      adjusted_j: adjustment.adjustedJoules,
      baseline_power_w: baseline.watts,
      baseline_method: baseline.watts === null ? null : m.baselineMethod,
      baseline_energy_j: adjustment.baselineJoules,
      adjustment_duration_s: duration,
      adjustment_floored: adjustment.floored,
      idle_baseline_power_w: sumOrNull(m.gpus.map((g) => g.idleBaselineWatts)),
      loaded_idle_power_w: sumOrNull(m.gpus.map((g) => g.loadedIdleWatts)),
      window_energy_j: m.gpus.reduce((a, g) => a + g.energy.energyJoules!, 0),
      window_duration_s: windowSeconds,
      counter_energy_j: sumOrNull(m.gpus.map((g) => g.energy.counterEnergyJoules)),
      integrated_energy_j: sumOrNull(m.gpus.map((g) => g.energy.integratedEnergyJoules)),
      max_disagreement_fraction: maxOf(m.gpus.map((g) => g.energy.disagreementFraction)),
      slice_energy_basis: bases.includes("samples")
        ? "samples"
        : bases.includes("window_minus_edges")
        ? "window_minus_edges"
        : "window",
      slice_edge_source: slice.edgeSource,
      slice_output_tokens: slice.outputTokens,
      token_attribution: slice.tokenAttribution,
      steady_state_onset: slice.steadyStateOnset,
      cpu_energy: cpuEnergyRecord(m.cpu),
    },
    multi_gpu: devices.metrics && {
      num_gpus: devices.metrics.numGpus,
      gpu_uuids: devices.metrics.gpuUuids,
      energy_per_gpu_j: devices.metrics.energyPerGpuJoules,
      energy_total_j: devices.metrics.energyTotalJoules,
      energy_per_output_token_j: devices.metrics.energyPerOutputTokenJoules,
      energy_share: devices.metrics.energyShare,
      energy_imbalance: devices.metrics.energyImbalance,
    },
    aggregation: {
      method: devices.aggregation.method,
      num_devices: devices.aggregation.numDevices,
      device_energy_methods: devices.aggregation.deviceEnergyMethods,
      mixed_energy_methods: devices.aggregation.mixedEnergyMethods,
      warnings: devices.aggregation.warnings,
    },
    measurement_warnings: [...new Set(warnings)],
    warmup_excluded_samples: warmup?.iterations ?? null,
    reproducibility_notes: REPRODUCIBILITY_NOTES,
    thermal_throttle: throttle,
    warmup_result: warmup && {
      mode: warmupConfig.mode,
      converged: warmup.converged,
      final_cv: warmup.final_cv,
      iterations_completed: warmup.iterations,
      target_cv: warmupConfig.mode === "converged" ? warmupConfig.cv_threshold : null,
      max_iterations: warmupConfig.mode === "converged" ? warmupConfig.max_requests : warmupConfig.n_requests,
      warmup_duration_sec: warmup.seconds,
      latencies_ms: warmup.latencies_s.map((s) => s * 1000),
    },
    start_time: m.startTime.toISOString(),
    end_time: m.endTime.toISOString(),
    timeseries: m.timeseriesFile,
    latency_stats: latency && {
      measurement_mode: latency.measurementMode,
      profiled: latency.profiled,
      request_count: latency.requestCount,
      ...msFields("ttft", latency.ttftMs),
      ...msFields("itl", latency.itlMs),
      itl_source: latency.itlSource,
      ...msFields("tpot", latency.tpotMs),
    },
    extended_metrics: {
      tpot_ms: extended.tpotMs,
      token_efficiency_index: extended.tokenEfficiencyIndex,
      precision_factor: extended.precisionFactor,
      memory: {
        total_vram_mb: extended.memory.totalVramMb,
        model_memory_mb: extended.memory.modelMemoryMb,
        peak_memory_mb: extended.memory.peakMemoryMb,
        kv_cache_mb: extended.memory.kvCacheMb,
        tokens_per_gb_vram: extended.memory.tokensPerGbVram,
        model_memory_utilisation: extended.memory.modelMemoryUtilisation,
        kv_cache_memory_ratio: extended.memory.kvCacheMemoryRatio,
      },
      gpu_utilisation: {
        sm_utilisation_mean: extended.gpuUtilisation.smUtilisationMean,
        sm_utilisation_samples: extended.gpuUtilisation.smUtilisationSamples,
        memory_bandwidth_utilisation: extended.gpuUtilisation.memoryBandwidthUtilisation,
      },
      batch: {
        num_batches: extended.batch.numBatches,
        effective_batch_size: extended.batch.effectiveBatchSize,
        batch_utilisation: extended.batch.batchUtilisation,
        padding_overhead: extended.batch.paddingOverhead,
      },
      kv_cache: {
        kv_cache_hit_rate: extended.kvCache.kvCacheHitRate,
        kv_cache_blocks_used: extended.kvCache.kvCacheBlocksUsed,
        kv_cache_blocks_total: extended.kvCache.kvCacheBlocksTotal,
      },
      request_latency: {
        e2e_latency_mean_ms: e2e?.mean ?? null,
        e2e_latency_median_ms: e2e?.median ?? null,
        e2e_latency_p90_ms: e2e?.p90 ?? null,
        e2e_latency_p95_ms: e2e?.p95 ?? null,
        e2e_latency_p99_ms: e2e?.p99 ?? null,
        e2e_latency_samples: e2e?.count ?? 0,
      },
    },
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    energy_method: energyMethod,
    baseline_method: baseline.watts === null ? null : m.baselineMethod,
    cycle: m.cycle,
    flops_estimate: {
      method: flops.method,
      confidence: flops.confidence,
      non_embedding_parameters: flops.nonEmbeddingParameters,
      parameters: modelInfo.parameters,
      layers: modelInfo.layers,
      hidden_size: modelInfo.hidden_size,
      vocab_size: modelInfo.vocab_size,
      dtype: modelInfo.dtype,
      notes: flops.notes,
    },
    environment: {
      hostname: m.environment.hostname,
      os: m.environment.os,
      cpu_model: m.environment.cpuModel,
      cpu_governor: m.environment.cpuGovernor,
      driver_version: m.environment.driverVersion,
      cuda_driver_version: m.environment.cudaDriverVersion,
      nvml_library: m.environment.nvmlLibrary,
      runner: m.environment.runner,
      runner_reason: m.environment.runnerReason,
      image: m.environment.image,
      python: m.environment.python,
      harness_version: m.environment.harnessVersion,
      protocol_version: m.environment.protocolVersion,
      llem_version: m.environment.llemVersion,
      llem_commit: m.environment.llemCommit,
      gpus: m.gpus.map(({ info }) => ({
        index: info.index,
        uuid: info.uuid,
        pci_bus_id: info.pciBusId,
        name: info.name,
        memory_total_bytes: info.memoryTotalBytes,
        compute_capability: info.computeCapability,
        power_limit_w: info.powerLimitWatts,
        enforced_power_limit_w: info.enforcedPowerLimitWatts,
        persistence_mode: info.persistenceMode,
        mig_mode: info.migMode,
        energy_counter: info.capabilities.energyCounter,
        instant_power_field: info.capabilities.instantPowerField,
      })),
      engine_observed_params: loaded.observed_params,
      ...(m.environment.simulated ? { simulated: m.environment.simulated } : {}),
    },
  };
  return experimentResultSchema.parse(result);
}

type CpuEnergyRecord = z.infer<typeof cpuEnergySchema>;

/** energy_breakdown.cpu_energy: the RAPL domains' window energy, packages and DRAMs summed; or why none. */
function cpuEnergyRecord(cpu: CpuMeasurement): CpuEnergyRecord {
  const totals = cpuEnergyTotals(cpu.domains);
  // A total that is null says why, even when every zone read was fine (a host without a DRAM zone).
  const missing = [
    totals.packageJoules === null && !cpu.domains.some((d) => d.kind === "package")
      ? "no package zone"
      : null,
    totals.dramJoules === null && !cpu.domains.some((d) => d.kind === "dram") ? "no DRAM zone" : null,
  ].filter((why) => why !== null);
  const reason = cpu.unavailableReason ??
    (cpu.domains.length > 0 && missing.length > 0
      ? `${missing.join(" and ")} among the RAPL zones read`
      : null);
  return {
    package_j: totals.packageJoules,
    dram_j: totals.dramJoules,
    domains: cpu.domains.map((d) => ({
      domain: d.domain,
      name: d.name,
      socket: d.socket,
      energy_j: d.energyJoules,
    })),
    method: cpu.domains.length > 0 ? "rapl_powercap" : null,
    unavailable_reason: reason,
  };
}
