import type { GpuSample } from "./gpu.ts";
import type { GpuLostDetails } from "./gpu_lost.ts";
import type { SampleRingBuffers } from "./sample_ring.ts";

/** What the host labels samples with; switched by the host while sampling runs. */
export type SamplePhase = "baseline" | "warmup" | "measure" | "idle";

/** Phases by their index in the shared control block. */
export const PHASES: readonly SamplePhase[] = ["baseline", "warmup", "measure", "idle"];

/**
 * Slots of the shared control block (an Int32Array over a SharedArrayBuffer): the worker sleeps in
 * Atomics.wait between rounds, which is precise to well under a millisecond and costs nothing while
 * waiting, so phase changes and stop requests reach it through shared memory, not messages.
 */
export const CONTROL = { stop: 0, phase: 1, wake: 2, flush: 3, length: 4 } as const;

/** Host to sampler worker: the one message; everything after goes through the control block. */
export interface SamplerCommand {
  type: "start";
  libraryPath: string;
  uuids: string[];
  intervalMs: number;
  control: SharedArrayBuffer;
  /** Where the worker writes its samples (SampleRingWriter); the host reads them in bulk. */
  ring: SampleRingBuffers;
}

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
  | { type: "stopped"; timing: SamplerTiming }
  /** Every sample taken up to the flush request numbered `id` is in the ring. */
  | { type: "flushed"; id: number }
  /** Sampling stopped: a lost GPU (with what NVML said), or another failure. */
  | { type: "failed"; message: string; lost: GpuLostDetails | null };

/** The clock shared by host and worker: milliseconds since the epoch with sub-millisecond resolution. */
export function sharedClockSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
