import type { GpuSample } from "./gpu.ts";

/** What the host labels samples with; switched by the host while sampling runs. */
export type SamplePhase = "baseline" | "warmup" | "measure" | "idle";

/** Host to sampler worker. */
export type SamplerCommand =
  | { type: "start"; libraryPath: string; uuids: string[]; intervalMs: number; phase: SamplePhase }
  | { type: "phase"; phase: SamplePhase }
  | { type: "stop" };

/** One sample of one GPU, tagged. */
export interface TaggedSample extends GpuSample {
  uuid: string;
  phase: SamplePhase;
}

/** How regularly the sampler kept its interval. */
export interface SamplerTiming {
  /** Sampling rounds taken (each reads every GPU). */
  rounds: number;
  /** Mean time between rounds. */
  meanIntervalMs: number;
  /** Median absolute deviation of the interval from the target. */
  medianJitterMs: number;
  /** 99th percentile of the absolute deviation. */
  p99JitterMs: number;
  /** Transient NVML read failures, all GPUs. */
  errorCount: number;
}

/** Sampler worker to host. */
export type SamplerEvent =
  | { type: "started"; uuids: string[] }
  | { type: "samples"; samples: TaggedSample[] }
  | { type: "stopped"; timing: SamplerTiming }
  | { type: "failed"; message: string; lostUuid: string | null };

/** The clock shared by host and worker: milliseconds since the epoch with sub-millisecond resolution. */
export function sharedClockSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
