import type { CpuDomainEnergy } from "../cpu/cpu_energy.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { HarnessMessage } from "../engines/harness_protocol.ts";
import type { GpuInfo } from "../gpu/gpu.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import type { GpuWindowEnergy } from "../measure/window_energy.ts";

/** The harness's `done` message for a window. */
export type DoneMessage = Extract<HarnessMessage, { type: "done" }>;
/** The harness's `loaded` message for the session. */
export type LoadedMessage = Extract<HarnessMessage, { type: "loaded" }>;
/** The harness's `warmup_done` message for the session. */
export type WarmupDoneMessage = Extract<HarnessMessage, { type: "warmup_done" }>;

/** Which idle power is subtracted to give adjusted energy. */
export type BaselineMethod = "idle_cached" | "idle_fresh" | "loaded_idle";

/** One GPU's part of a measurement window. */
export interface GpuMeasurement {
  info: GpuInfo;
  /** Energy over the window, both methods (windowEnergy()). */
  energy: GpuWindowEnergy;
  /** This GPU's samples taken during the experiment, every phase, in time order. */
  samples: TaggedSample[];
  /** Bare-idle power (nothing on the GPU), from the baseline cache or measured now; null when disabled. */
  idleBaselineWatts: number | null;
  /** Power with the model loaded and nothing running, measured in the session; null when not measured. */
  loadedIdleWatts: number | null;
}

/** The bounded wait before a window for the GPU to cool toward its idle temperature. */
export interface ThermalFloorRecord {
  waitedSeconds: number;
  startTemperatureCelsius: number | null;
  endTemperatureCelsius: number | null;
  targetTemperatureCelsius: number | null;
  /** False when the wait ended at max_seconds before the target was reached. */
  reached: boolean;
}

/** Where the experiment ran, for the result's `environment`. */
export interface MeasurementEnvironment {
  hostname: string | null;
  os: string;
  cpuModel: string | null;
  cpuGovernor: string | null;
  driverVersion: string;
  cudaDriverVersion: string | null;
  nvmlLibrary: string;
  runner: string;
  /** Why this runner (auto's choice). */
  runnerReason: string | null;
  image: string | null;
  python: string | null;
  harnessVersion: string;
  protocolVersion: number;
  llemVersion: string | null;
  llemCommit: string | null;
  /** What was simulated (`llem demo`); absent or null for a real GPU. */
  simulated?: string | null;
}

/** The CPU energy of a window: each RAPL domain's, or none and the reason (a failed domain's is null). */
export interface CpuMeasurement {
  domains: CpuDomainEnergy[];
  unavailableReason: string | null;
}

/**
 * Everything the study runner knows about one finished window: the input of the pure assembly of a
 * result.json (src/results/build_experiment_result.ts). Host times are sharedClockSeconds() (Unix seconds,
 * sub-millisecond); the harness's request times are on its own clock, anchored by `done.started_s`.
 */
export interface ExperimentMeasurement {
  /** The run's directory name, e.g. "001_c0_gpt2-transformers_0123456789abcdef". */
  experimentId: string;
  measurementConfigHash: string;
  /** 0-based cycle. */
  cycle: number;
  config: ExperimentConfig;
  engineVersion: string | null;
  /** Host-side window edges (the counter reads), Unix seconds. */
  window: { startSeconds: number; endSeconds: number };
  done: DoneMessage;
  loaded: LoadedMessage;
  /** The session's warmup, when it ran one (shared by every experiment of the session). */
  warmup: WarmupDoneMessage | null;
  gpus: GpuMeasurement[];
  /** The CPU's and DRAM's energy over the window (Linux RAPL), or why it was not measured. */
  cpu: CpuMeasurement;
  baselineMethod: BaselineMethod | null;
  thermalFloor: ThermalFloorRecord | null;
  /** Warnings the runner raised (other processes on a GPU, window-edge skew, sampler drops...). */
  warnings: string[];
  /** Relative name of the timeseries sidecar, or null when not written. */
  timeseriesFile: string | null;
  environment: MeasurementEnvironment;
  /** When the experiment began (thermal floor included) and ended (window closed), UTC. */
  startTime: Date;
  endTime: Date;
}
