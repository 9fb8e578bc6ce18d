import assert from "node:assert/strict";
import {
  doneFixture,
  experimentMeasurementFixture,
  FIXTURE_HARNESS_START,
  fixtureConfig,
  gpuMeasurementFixture,
} from "../../tests/experiment_measurement_fixture.ts";
import { buildExperimentResult, REPRODUCIBILITY_NOTES } from "./build_experiment_result.ts";
import { EnergyNotMeasuredError } from "./energy_not_measured_error.ts";
import { experimentResultSchema } from "./result_schema.ts";

const close = (a: number | null | undefined, b: number, tolerance = 1e-6) =>
  assert.ok(a != null && Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

/** Every field of ExperimentResult and of result.json in schema 4.0 (LLenergyMeasure's layout), in their order. */
const SEED_FIELDS = [
  "schema_version",
  "experiment_id",
  "measurement_config_hash",
  "llenergymeasure_version",
  "engine",
  "engine_version",
  "model_name",
  "measurement_methodology",
  "steady_state_window",
  "total_tokens",
  "total_energy_j",
  "energy_adjusted_j",
  "total_inference_time_sec",
  "avg_tokens_per_second",
  "avg_energy_per_token_j",
  "mj_per_tok_total",
  "mj_per_tok_adjusted",
  "total_flops",
  "flops_per_output_token",
  "flops_per_input_token",
  "flops_per_second",
  "baseline_power_w",
  "energy_per_device_j",
  "energy_breakdown",
  "multi_gpu",
  "aggregation",
  "measurement_warnings",
  "warmup_excluded_samples",
  "reproducibility_notes",
  "thermal_throttle",
  "warmup_result",
  "start_time",
  "end_time",
  "timeseries",
  "latency_stats",
  "extended_metrics",
];

/** Nested fields schema 4.0 names (its extended-metrics table and examples). */
const SEED_NESTED_FIELDS = {
  extended_metrics: [
    "tpot_ms",
    "token_efficiency_index",
    "memory",
    "gpu_utilisation",
    "batch",
    "kv_cache",
    "request_latency",
  ],
  "extended_metrics.memory": [
    "model_memory_utilisation",
    "tokens_per_gb_vram",
    "kv_cache_mb",
    "kv_cache_memory_ratio",
  ],
  "extended_metrics.gpu_utilisation": ["sm_utilisation_mean", "memory_bandwidth_utilisation"],
  "extended_metrics.batch": ["num_batches", "effective_batch_size", "batch_utilisation", "padding_overhead"],
  "extended_metrics.request_latency": [
    "e2e_latency_mean_ms",
    "e2e_latency_median_ms",
    "e2e_latency_p95_ms",
    "e2e_latency_p99_ms",
  ],
  latency_stats: ["measurement_mode"],
  thermal_throttle: ["throttle_detected"],
};

/** Fields the seed types as non-null (everything not marked `| None` / `| null`). */
const SEED_NON_NULL = [
  "schema_version",
  "experiment_id",
  "measurement_config_hash",
  "engine",
  "model_name",
  "measurement_methodology",
  "total_tokens",
  "total_energy_j",
  "total_inference_time_sec",
  "avg_tokens_per_second",
  "total_flops",
  "measurement_warnings",
  "reproducibility_notes",
  "start_time",
  "end_time",
];

/** llem's documented additions. */
const ADDITIONS = [
  "input_tokens",
  "output_tokens",
  "energy_method",
  "baseline_method",
  "cycle",
  "flops_estimate",
  "environment",
];

function at(object: unknown, path: string): Record<string, unknown> {
  let value = object;
  for (const key of path.split(".")) value = (value as Record<string, unknown>)[key];
  return value as Record<string, unknown>;
}

Deno.test("buildExperimentResult() writes every seed field, then llem's additions, and nothing else", () => {
  const result = buildExperimentResult(experimentMeasurementFixture());
  assert.deepEqual(Object.keys(result), [...SEED_FIELDS, ...ADDITIONS]);
  for (const [path, fields] of Object.entries(SEED_NESTED_FIELDS)) {
    const keys = Object.keys(at(result, path));
    for (const field of fields) assert.ok(keys.includes(field), `${path}.${field} missing`);
  }
  for (const field of SEED_NON_NULL) assert.notEqual((result as Record<string, unknown>)[field], null, field);
});

Deno.test("buildExperimentResult() computes the headline figures of a hand-checked window", () => {
  // 10 s at 200 W on one GPU, 4 requests × 100 output tokens, idle baseline 60 W.
  const result = buildExperimentResult(experimentMeasurementFixture());
  assert.equal(result.schema_version, "4.0");
  assert.equal(result.measurement_methodology, "total");
  assert.deepEqual(result.steady_state_window, [0, 10]);
  assert.equal(result.total_tokens, 400);
  assert.equal(result.output_tokens, 400);
  assert.equal(result.input_tokens, 32);
  close(result.total_energy_j, 2000);
  close(result.total_inference_time_sec, 10);
  close(result.avg_tokens_per_second, 40);
  close(result.avg_energy_per_token_j, 5);
  close(result.mj_per_tok_total, 5000);
  close(result.baseline_power_w, 60);
  close(result.energy_adjusted_j, 1400);
  close(result.mj_per_tok_adjusted, 3500);
  assert.deepEqual(result.energy_per_device_j!.map(Math.round), [2000]);
  assert.equal(result.energy_method, "nvml_energy_counter");
  assert.equal(result.baseline_method, "idle_cached");
  assert.equal(result.energy_breakdown!.baseline_method, "idle_cached");
  close(result.energy_breakdown!.baseline_energy_j, 600);
  assert.equal(result.energy_breakdown!.token_attribution, "all_requests");
  assert.equal(result.multi_gpu, null);
  assert.equal(result.aggregation!.num_devices, 1);
  assert.deepEqual(result.measurement_warnings, []);
});

Deno.test("buildExperimentResult() carries identity, timing, warmup and the sidecar name", () => {
  const m = experimentMeasurementFixture();
  const result = buildExperimentResult(m);
  assert.equal(result.experiment_id, m.experimentId);
  assert.equal(result.measurement_config_hash, "0123456789abcdef");
  assert.equal(result.llenergymeasure_version, "0.1.0");
  assert.equal(result.engine_version, "4.57.0");
  assert.equal(result.model_name, "openai-community/gpt2");
  assert.equal(result.start_time, m.startTime.toISOString());
  assert.equal(result.end_time, m.endTime.toISOString());
  assert.equal(result.timeseries, "timeseries.parquet");
  assert.equal(result.warmup_excluded_samples, 5);
  assert.equal(result.warmup_result!.iterations_completed, 5);
  assert.deepEqual(result.warmup_result!.latencies_ms, [900, 520, 500, 500, 510]);
  assert.equal(result.reproducibility_notes, REPRODUCIBILITY_NOTES);
  assert.match(result.reproducibility_notes, /\+\/-5%/);
  assert.equal(result.environment!.gpus[0]!.uuid, "GPU-1");
  assert.equal(result.cycle, 0);
});

Deno.test("buildExperimentResult() estimates FLOPs over every request of the window", () => {
  const result = buildExperimentResult(experimentMeasurementFixture());
  const n = 124_439_808 - 50_257 * 768;
  const expected = 2 * n * 432 + 2 * 12 * 768 * 4 * (108 * 109 / 2);
  close(result.total_flops, expected, 1);
  close(result.flops_per_output_token, expected / 400, 1e-3);
  close(result.flops_per_input_token, expected / 32, 1e-3);
  close(result.flops_per_second, expected / 10, 1);
  assert.equal(result.flops_estimate!.confidence, "medium");
});

Deno.test("buildExperimentResult() leaves adjusted figures null without a baseline", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    baselineMethod: null,
    config: fixtureConfig({ measurement: { baseline: { enabled: false } } }),
    gpus: [gpuMeasurementFixture({ idleBaselineWatts: null })],
  }));
  assert.equal(result.baseline_power_w, null);
  assert.equal(result.energy_adjusted_j, null);
  assert.equal(result.mj_per_tok_adjusted, null);
  assert.equal(result.energy_breakdown!.baseline_method, null);
  assert.equal(result.baseline_method, null);
  close(result.mj_per_tok_total, 5000);
  assert.deepEqual(result.measurement_warnings, []);
});

Deno.test("buildExperimentResult() warns when an enabled baseline was not measured", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({ baselineMethod: null }));
  assert.equal(result.energy_adjusted_j, null);
  assert.match(result.measurement_warnings.join(";"), /baseline was enabled but not measured/);
});

Deno.test("buildExperimentResult() subtracts nothing when a GPU lacks the chosen baseline", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    baselineMethod: "idle_fresh",
    gpus: [
      gpuMeasurementFixture(),
      gpuMeasurementFixture({ info: { uuid: "GPU-2" }, idleBaselineWatts: null }),
    ],
  }));
  assert.equal(result.energy_adjusted_j, null);
  assert.equal(result.baseline_power_w, null);
  assert.equal(result.baseline_method, null);
  assert.match(result.measurement_warnings.join(";"), /baseline idle_fresh has no idle power for GPU GPU-2/);
});

Deno.test("buildExperimentResult() subtracts the loaded-idle baseline when that is the method", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({ baselineMethod: "loaded_idle" }));
  close(result.baseline_power_w, 80);
  close(result.energy_adjusted_j, 1200);
});

Deno.test("buildExperimentResult() floors a negative adjusted energy at 0 with a warning", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    gpus: [gpuMeasurementFixture({ idleBaselineWatts: 250 })],
  }));
  assert.equal(result.energy_adjusted_j, 0);
  assert.equal(result.mj_per_tok_adjusted, 0);
  assert.equal(result.energy_breakdown!.adjustment_floored, true);
  assert.match(result.measurement_warnings.join(";"), /would be negative/);
});

Deno.test("buildExperimentResult() gives null per-token figures for zero output tokens", () => {
  const done = doneFixture();
  const result = buildExperimentResult(experimentMeasurementFixture({
    done: { ...done, requests: done.requests.map((r) => ({ ...r, output_tokens: 0 })) },
  }));
  assert.equal(result.total_tokens, 0);
  assert.equal(result.avg_tokens_per_second, 0);
  assert.equal(result.avg_energy_per_token_j, null);
  assert.equal(result.mj_per_tok_total, null);
  assert.equal(result.mj_per_tok_adjusted, null);
  assert.equal(result.flops_per_output_token, null);
  assert.equal(result.extended_metrics!.token_efficiency_index, null);
  close(result.total_energy_j, 2000);
  assert.match(result.measurement_warnings.join(";"), /no output tokens/);
});

Deno.test("buildExperimentResult() sums GPUs and reports each one for a multi-GPU run", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    gpus: [
      gpuMeasurementFixture({ powerWatts: 200 }),
      gpuMeasurementFixture({ info: { index: 1, uuid: "GPU-2" }, powerWatts: 150, idleBaselineWatts: 50 }),
    ],
  }));
  close(result.total_energy_j, 3500);
  assert.deepEqual(result.energy_per_device_j!.map(Math.round), [2000, 1500]);
  close(result.baseline_power_w, 110);
  close(result.energy_adjusted_j, 3500 - 1100);
  close(result.mj_per_tok_total, 1000 * 3500 / 400);
  assert.equal(result.multi_gpu!.num_gpus, 2);
  assert.deepEqual(result.multi_gpu!.gpu_uuids, ["GPU-1", "GPU-2"]);
  close(result.multi_gpu!.energy_per_output_token_j, 3500 / 400);
  close(result.multi_gpu!.energy_imbalance, 500 / 1750);
  assert.equal(result.aggregation!.num_devices, 2);
  assert.equal(result.environment!.gpus.length, 2);
  // Peak memory is summed over GPUs: 20 GiB each.
  close(result.extended_metrics!.memory.peak_memory_mb, 40 * 1024);
});

Deno.test("buildExperimentResult() records mixed energy methods across GPUs", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    gpus: [gpuMeasurementFixture(), gpuMeasurementFixture({ info: { uuid: "GPU-2" }, energyCounter: false })],
  }));
  assert.equal(result.energy_method, "mixed");
  assert.equal(result.aggregation!.mixed_energy_methods, true);
  assert.equal(result.energy_breakdown!.counter_energy_j, null);
  close(result.total_energy_j, 4000, 1e-3);
});

Deno.test("buildExperimentResult() measures steady_state as the window less its leading fraction", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    config: fixtureConfig({
      measurement: { methodology: "steady_state", steady_state_discard_fraction: 0.1 },
    }),
  }));
  assert.equal(result.measurement_methodology, "steady_state");
  assert.deepEqual(result.steady_state_window!.map((v) => Math.round(v * 1e6) / 1e6), [1, 10]);
  close(result.total_inference_time_sec, 9);
  // 2000 J less the first second at 200 W.
  close(result.total_energy_j, 1800);
  // Batch 1 spans [0, 5] s: 4/5 of its 200 tokens fall after 1 s; batch 2 ([5, 9.9] s) wholly.
  close(result.energy_breakdown!.slice_output_tokens, 360);
  assert.equal(result.total_tokens, 360);
  assert.equal(result.output_tokens, 400);
  close(result.avg_tokens_per_second, 40);
  close(result.mj_per_tok_total, 5000);
  close(result.energy_adjusted_j, 1800 - 60 * 9);
  assert.equal(result.energy_breakdown!.slice_energy_basis, "window_minus_edges");
  assert.equal(result.energy_breakdown!.slice_edge_source, "energy_counter_samples");
  assert.equal(result.energy_breakdown!.token_attribution, "proportional");
  close(result.energy_breakdown!.window_energy_j, 2000);
});

Deno.test("buildExperimentResult() measures windowed over window_seconds", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    config: fixtureConfig({ measurement: { methodology: "windowed", window_seconds: [2, 6] } }),
  }));
  assert.equal(result.measurement_methodology, "windowed");
  assert.deepEqual(result.steady_state_window, [2, 6]);
  close(result.total_inference_time_sec, 4);
  close(result.total_energy_j, 800);
  // 3/5 of batch 1's 200 tokens, 1/4.9 of batch 2's.
  close(result.energy_breakdown!.slice_output_tokens, 120 + 200 / 4.9);
  assert.equal(result.total_tokens, 161);
  close(result.avg_tokens_per_second, 161 / 4);
});

Deno.test("buildExperimentResult() counts steady-state tokens by their timestamps when streamed", () => {
  // One request over the whole window, a token every 0.1 s from 0.1 s to 9.9 s (99 tokens).
  const h = FIXTURE_HARNESS_START;
  const times = Array.from({ length: 99 }, (_, i) => h + 0.1 * (i + 1));
  const result = buildExperimentResult(experimentMeasurementFixture({
    config: fixtureConfig({
      generation: { batch_size: 1 },
      dataset: { n_prompts: 1 },
      measurement: {
        methodology: "steady_state",
        steady_state_discard_fraction: 0.525,
        latency_profiling: true,
      },
    }),
    done: doneFixture({
      capture: "streaming",
      requests: [{
        index: 0,
        input_tokens: 8,
        output_tokens: 99,
        start_s: h,
        first_token_s: times[0]!,
        end_s: times.at(-1)!,
        token_times_s: times,
      }],
    }),
  }));
  assert.equal(result.energy_breakdown!.token_attribution, "token_times");
  // The slice starts at 5.25 s: tokens 5.3 ... 9.9 s (47).
  assert.equal(result.total_tokens, 47);
  close(result.total_inference_time_sec, 4.75);
  assert.equal(result.latency_stats!.measurement_mode, "true_streaming");
  assert.equal(result.latency_stats!.profiled, true);
  close(result.latency_stats!.ttft_mean_ms, 100);
  close(result.latency_stats!.itl_mean_ms, 100);
  assert.equal(result.latency_stats!.itl_samples, 98);
  close(result.extended_metrics!.tpot_ms, 100);
  assert.match(result.measurement_warnings.join(";"), /latency profiling was on/);
});

Deno.test("buildExperimentResult() reports the whole window when a steady-state slice cannot be measured", () => {
  const gpu = gpuMeasurementFixture();
  const result = buildExperimentResult(experimentMeasurementFixture({
    config: fixtureConfig({ measurement: { methodology: "steady_state" } }),
    gpus: [{ ...gpu, samples: [] }],
  }));
  assert.equal(result.measurement_methodology, "total");
  close(result.total_energy_j, 2000);
  assert.match(result.measurement_warnings.join(";"), /not measurable on GPU #0/);
});

Deno.test("buildExperimentResult() summarises throttling and warns about it", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    gpus: [gpuMeasurementFixture({ clockEventReasons: (t) => (t >= 4 && t < 6 ? 0x40n : 0n) })],
  }));
  const throttle = result.thermal_throttle!;
  assert.equal(throttle.throttle_detected, true);
  assert.equal(throttle.thermal, true);
  assert.equal(throttle.hw_thermal, true);
  assert.equal(throttle.power, false);
  close(throttle.throttle_duration_sec, 2, 1e-3);
  close(throttle.reasons.thermal_hardware!.first_s, 4, 1e-3);
  close(throttle.max_temperature_c, 60);
  assert.match(
    result.measurement_warnings.join(";"),
    /throttled during the window \(thermal_hardware 2\.00 s\)/,
  );
});

Deno.test("buildExperimentResult() merges runner, energy, floor, warmup and short-window warnings", () => {
  const gpu = gpuMeasurementFixture();
  const result = buildExperimentResult(experimentMeasurementFixture({
    warnings: ["GPU GPU-1 had other process(es) during the window: 4242"],
    gpus: [{ ...gpu, energy: { ...gpu.energy, warnings: ["energy counter and integrated power disagree"] } }],
    thermalFloor: {
      waitedSeconds: 120,
      startTemperatureCelsius: 70,
      endTemperatureCelsius: 60,
      targetTemperatureCelsius: 48,
      reached: false,
    },
    config: fixtureConfig({ measurement: { warmup: { mode: "converged", max_requests: 20 } } }),
    warmup: {
      type: "warmup_done",
      iterations: 20,
      latencies_s: [1, 2],
      converged: false,
      final_cv: 0.2,
      seconds: 30,
    },
    window: { startSeconds: 1_700_000_100, endSeconds: 1_700_000_100.5 },
  }));
  const text = result.measurement_warnings.join("\n");
  assert.match(text, /other process\(es\)/);
  assert.match(text, /GPU 0 \(GPU-1\): energy counter and integrated power disagree/);
  assert.match(text, /thermal floor was not reached: waited 120\.0 s, GPU at 60 °C, target 48 °C/);
  assert.match(text, /warmup did not converge within 20 requests \(final CV 0\.200, target 0\.05\)/);
  assert.match(text, /lasted 0\.500 s/);
  assert.equal(result.warmup_result!.target_cv, 0.05);
  assert.equal(result.warmup_result!.converged, false);
});

Deno.test("buildExperimentResult() refuses a window whose energy was not measured", () => {
  const gpu = gpuMeasurementFixture();
  assert.throws(
    () =>
      buildExperimentResult(experimentMeasurementFixture({
        gpus: [{
          ...gpu,
          energy: {
            ...gpu.energy,
            energyJoules: null,
            method: null,
            warnings: ["no energy for this window"],
          },
        }],
      })),
    (error: unknown) =>
      error instanceof EnergyNotMeasuredError &&
      /GPU GPU-1 \(no energy for this window\)/.test(error.message),
  );
});

Deno.test("buildExperimentResult() maps harness times without a wall-clock twin by the window's start", () => {
  const { finished_unix_s: _, ...done } = doneFixture();
  const result = buildExperimentResult(experimentMeasurementFixture({
    done,
    config: fixtureConfig({
      measurement: { methodology: "steady_state", steady_state_discard_fraction: 0.1 },
    }),
  }));
  close(result.energy_breakdown!.slice_output_tokens, 360);
});

Deno.test("buildExperimentResult() output passes the schema, which rejects unknown and missing fields", () => {
  const result = buildExperimentResult(experimentMeasurementFixture());
  assert.doesNotThrow(() => experimentResultSchema.parse(JSON.parse(JSON.stringify(result))));
  assert.throws(() => experimentResultSchema.parse({ ...result, surprise: 1 }));
  const { total_energy_j: _, ...missing } = result;
  assert.throws(() => experimentResultSchema.parse(missing));
});

Deno.test("cpu_energy: a host without a DRAM zone gives dram_j null with that reason, never zero", () => {
  const result = buildExperimentResult(experimentMeasurementFixture({
    cpu: {
      domains: [{ domain: "intel-rapl:0", name: "package-0", socket: 0, kind: "package", energyJoules: 400 }],
      unavailableReason: null,
    },
  }));
  const cpu = result.energy_breakdown!.cpu_energy!;
  assert.equal(cpu.package_j, 400);
  assert.equal(cpu.dram_j, null);
  assert.equal(cpu.unavailable_reason, "no DRAM zone among the RAPL zones read");
  const both = buildExperimentResult(experimentMeasurementFixture()).energy_breakdown!.cpu_energy!;
  assert.deepEqual([both.package_j, both.dram_j, both.unavailable_reason], [400, 80, null]);
});
