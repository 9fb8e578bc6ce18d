import type { GpuLost } from "./gpu_lost.ts";
import type { SamplePhase, SamplerTiming, TaggedSample } from "./sampler_protocol.ts";
import type { SamplingFailed } from "./sampling_failed.ts";

/** What starting a sampler needs: which GPUs, how often, and the first phase label. */
export interface SamplerStart {
  /** GPUs to sample, by UUID. */
  uuids: string[];
  /** Sampling interval, 1 ms to 10 s. */
  intervalMs: number;
  phase?: SamplePhase;
}

/**
 * A running sampler of GPU readings, as the study runner uses it: the NVML worker (GpuSampler) in llem,
 * an in-memory stand-in in tests.
 */
export interface Sampler {
  /** Label the samples taken from now on. */
  setPhase(phase: SamplePhase): void;
  /** Resolve once every sample taken so far can be drained. */
  flush(): Promise<void>;
  /** Take the samples received so far, oldest first. */
  drain(): TaggedSample[];
  /** Samples dropped so far because nobody drained them in time. */
  readonly droppedSamples: number;
  /** Why sampling stopped early, or null while healthy. */
  readonly failure: GpuLost | SamplingFailed | null;
  /** Stop sampling; rejects with `failure` if sampling failed. */
  stop(): Promise<SamplerTiming>;
}

/** Starts a sampler; rejects with GpuLost or SamplingFailed when it cannot. */
export type StartSampler = (start: SamplerStart) => Promise<Sampler>;
