import { type ExperimentConfig, experimentSchema } from "../src/config/experiment_config.ts";
import type { GpuInfo } from "../src/gpu/gpu.ts";
import type { TaggedSample } from "../src/gpu/sampler_protocol.ts";
import { windowEnergy } from "../src/measure/window_energy.ts";
import type {
  DoneMessage,
  ExperimentMeasurement,
  GpuMeasurement,
} from "../src/results/experiment_measurement.ts";
import { gpuInfoFixture } from "./gpu_info_fixture.ts";

/** The fixture's window: host clock (Unix seconds), 10 s long. */
export const FIXTURE_WINDOW = { startSeconds: 1_700_000_100, endSeconds: 1_700_000_110 } as const;

/** Where the harness's monotonic clock stood when the fixture's window opened. */
export const FIXTURE_HARNESS_START = 500;

/** Plain objects merged key by key, `extra` winning; anything else replaced. */
function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const old = out[key];
    const plain = (v: unknown): v is Record<string, unknown> =>
      typeof v === "object" && v !== null && !Array.isArray(v);
    out[key] = plain(old) && plain(value) ? merge(old, value) : value;
  }
  return out;
}

/**
 * A resolved config for the fixture: gpt2 on transformers, 4 prompts of 8 tokens, static batches of 2,
 * 100 output tokens each (EOS ignored), with `input` merged over it before defaults are applied.
 */
export function fixtureConfig(input: Record<string, unknown> = {}): ExperimentConfig {
  return experimentSchema.parse(merge({
    model: "openai-community/gpt2",
    engine: "transformers",
    runner: "process",
    dataset: { n_prompts: 4, input_len_tokens: 8 },
    generation: { batch_size: 2, max_new_tokens: 100, ignore_eos: true },
    measurement: { sample_interval_ms: 100 },
  }, input));
}

/** Options of one fixture GPU. */
export interface FixtureGpuOptions {
  info?: Partial<GpuInfo>;
  /** Constant draw during the window, watts (before and after it the GPU idles at loadedIdleWatts). */
  powerWatts?: number;
  idleBaselineWatts?: number | null;
  loadedIdleWatts?: number | null;
  /** Clock-event reason bits at a time (seconds since the window opened). */
  clockEventReasons?: (seconds: number) => bigint;
  /** false: a GPU without the NVML energy counter (energy from integrated power). */
  energyCounter?: boolean;
}

/**
 * One GPU through the fixture window: samples every 100 ms from 2 s before it opens to 0.5 s after it
 * closes (loaded-idle outside, `powerWatts` inside, temperature rising 50 → 60 °C), and its window
 * energy computed by windowEnergy() from counter reads at the edges and those samples.
 */
export function gpuMeasurementFixture(options: FixtureGpuOptions = {}): GpuMeasurement {
  const info = gpuInfoFixture(options.info);
  const power = options.powerWatts ?? 200;
  const idle = options.loadedIdleWatts === undefined ? 80 : options.loadedIdleWatts ?? 80;
  const hasCounter = options.energyCounter ?? true;
  const { startSeconds: start, endSeconds: end } = FIXTURE_WINDOW;
  const duration = end - start;
  const powerAt = (t: number) => (t >= 0 && t <= duration ? power : idle);
  // The counter integrates powerAt exactly: idle before, power inside, idle after.
  const counterAt = (t: number) =>
    10_000 + idle * Math.min(t, 0) + power * Math.min(Math.max(t, 0), duration) +
    idle * Math.max(t - duration, 0);
  const samples: TaggedSample[] = [];
  for (let i = -20; i <= 105; i++) {
    const t = i / 10; // seconds since the window opened
    samples.push({
      uuid: info.uuid,
      phase: t < 0 ? "warmup" : t <= duration ? "measure" : "idle",
      timeSeconds: start + t,
      energyJoules: hasCounter ? counterAt(t) : null,
      powerWatts: powerAt(t),
      powerSource: "instant_field",
      temperatureCelsius: 50 + 10 * Math.min(Math.max(t, 0), duration) / duration,
      memoryUsedBytes: 20 * 2 ** 30,
      smClockMhz: 1980,
      memoryClockMhz: 2619,
      utilizationGpuPercent: t >= 0 && t <= duration ? 95 : 0,
      utilizationMemoryPercent: t >= 0 && t <= duration ? 40 : 0,
      clockEventReasons: options.clockEventReasons?.(t) ?? 0n,
      errorCount: 0,
    });
  }
  const energy = windowEnergy({
    startSeconds: start,
    endSeconds: end,
    counterStart: hasCounter ? { timeSeconds: start, energyJoules: counterAt(0) } : null,
    counterEnd: hasCounter ? { timeSeconds: end, energyJoules: counterAt(duration) } : null,
    powerSamples: samples.filter((s) => s.phase === "measure")
      .map((s) => ({ timeSeconds: s.timeSeconds, powerWatts: s.powerWatts! })),
  });
  return {
    info: { ...info, capabilities: { ...info.capabilities, energyCounter: hasCounter } },
    energy,
    samples,
    idleBaselineWatts: options.idleBaselineWatts === undefined ? 60 : options.idleBaselineWatts,
    loadedIdleWatts: options.loadedIdleWatts === undefined ? 80 : options.loadedIdleWatts,
  };
}

/**
 * The fixture's `done`: four requests of 8 input and 100 output tokens in two static batches of two
 * (per-batch capture), on the harness clock: the first batch over [0, 5] s of the window, the second
 * over [5, 9.9] s.
 */
export function doneFixture(overrides: Partial<DoneMessage> = {}): DoneMessage {
  const h = FIXTURE_HARNESS_START;
  const request = (index: number, start: number, end: number) => ({
    index,
    input_tokens: 8,
    output_tokens: 100,
    start_s: h + start,
    first_token_s: null,
    end_s: h + end,
  });
  return {
    type: "done",
    window_id: "001_c0",
    started_s: h,
    finished_s: h + 9.9,
    finished_unix_s: FIXTURE_WINDOW.startSeconds + 9.9,
    capture: "per_batch",
    requests: [request(0, 0, 5), request(1, 0, 5), request(2, 5, 9.9), request(3, 5, 9.9)],
    ...overrides,
  };
}

/**
 * A realistic ExperimentMeasurement of one 10 s window on one H100-like GPU drawing 200 W (2000 J),
 * 400 output tokens, idle baseline 60 W (cached), a fixed warmup of 5 requests; any field overridden.
 * Hand-computed: 40 tok/s, 5 J/token, 5000 mJ/token, adjusted 2000 − 60 × 10 = 1400 J (3500 mJ/token).
 */
export function experimentMeasurementFixture(
  overrides: Partial<ExperimentMeasurement> = {},
): ExperimentMeasurement {
  return {
    experimentId: "001_c0_gpt2-transformers_0123456789abcdef",
    measurementConfigHash: "0123456789abcdef",
    cycle: 0,
    config: fixtureConfig(),
    engineVersion: "4.57.0",
    window: { ...FIXTURE_WINDOW },
    done: doneFixture(),
    loaded: {
      type: "loaded",
      load_seconds: 4.2,
      model_info: {
        parameters: 124_439_808,
        layers: 12,
        hidden_size: 768,
        vocab_size: 50_257,
        dtype: "bfloat16",
      },
      memory_bytes: 512 * 2 ** 20,
      observed_params: { attn_implementation: "sdpa", torch_dtype: "bfloat16" },
    },
    cpu: {
      domains: [
        { domain: "intel-rapl:0", name: "package-0", socket: 0, kind: "package", energyJoules: 400 },
        { domain: "intel-rapl:0:0", name: "dram", socket: 0, kind: "dram", energyJoules: 80 },
      ],
      unavailableReason: null,
    },
    warmup: {
      type: "warmup_done",
      iterations: 5,
      latencies_s: [0.9, 0.52, 0.5, 0.5, 0.51],
      converged: true,
      final_cv: 0.01,
      seconds: 2.93,
    },
    gpus: [gpuMeasurementFixture()],
    baselineMethod: "idle_cached",
    thermalFloor: {
      waitedSeconds: 10,
      startTemperatureCelsius: 55,
      endTemperatureCelsius: 47,
      targetTemperatureCelsius: 48,
      reached: true,
    },
    warnings: [],
    timeseriesFile: "timeseries.parquet",
    environment: {
      hostname: "gpu-node-1",
      os: "linux 6.1.0-18-amd64 (x86_64)",
      cpuModel: "AMD EPYC 9454 48-Core Processor",
      cpuGovernor: "performance",
      driverVersion: "550.54.15",
      cudaDriverVersion: "12.4",
      nvmlLibrary: "libnvidia-ml.so.1",
      runner: "process",
      runnerReason: null,
      image: null,
      python: "3.11.2",
      harnessVersion: "1.0.0",
      protocolVersion: 1,
      llemVersion: "0.1.0",
      llemCommit: "0123456789ab",
    },
    startTime: new Date((FIXTURE_WINDOW.startSeconds - 15) * 1000),
    endTime: new Date(FIXTURE_WINDOW.endSeconds * 1000),
    ...overrides,
  };
}
