import { GpuLost } from "./gpu_lost.ts";
import { createSampleRing, SampleRingReader } from "./sample_ring.ts";
import type { Sampler, SamplerStart } from "./sampler.ts";
import {
  CONTROL,
  PHASES,
  type SamplePhase,
  type SamplerCommand,
  type SamplerEvent,
  type SamplerTiming,
  type TaggedSample,
} from "./sampler_protocol.ts";
import { SamplingFailed } from "./sampling_failed.ts";

/** Most samples held between drains; older ones are dropped (and counted) beyond it. */
export const MAX_BUFFERED_SAMPLES = 500_000;
/** Samples the shared ring holds (7 MiB): a minute at 100 Hz on 8 GPUs, moved out every PUMP_MS. */
const RING_SAMPLES = 65_536;
/** How often the host moves the ring's samples into its buffer when nobody drains or flushes. */
const PUMP_MS = 1000;

/** Options for starting a sampler: the NVML library its worker opens, and what to sample. */
export interface SamplerOptions extends SamplerStart {
  libraryPath: string;
}

/**
 * Host side of the sampler: a worker reads NVML on its own thread and writes its samples into a shared
 * ring; this reads them in bulk (on drain, flush, and every PUMP_MS) into a bounded buffer that the
 * caller drains (for example per experiment), and relays phase changes. No message crosses per sample.
 */
export class GpuSampler implements Sampler {
  readonly #worker: Worker;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
  readonly #ringBuffers = createSampleRing(RING_SAMPLES);
  readonly #ring: SampleRingReader;
  readonly #pump: ReturnType<typeof setInterval>;
  #buffer: TaggedSample[] = [];
  #dropped = 0;
  #failure: GpuLost | SamplingFailed | null = null;
  #stopped: Promise<SamplerTiming>;
  #flushWaiters: { id: number; resolve: () => void }[] = [];
  #resolveStopped!: (timing: SamplerTiming) => void;
  #rejectStopped!: (error: GpuLost | SamplingFailed) => void;

  private constructor(worker: Worker, uuids: readonly string[]) {
    this.#worker = worker;
    this.#ring = new SampleRingReader(this.#ringBuffers, uuids);
    this.#pump = setInterval(() => this.#takeFromRing(), PUMP_MS);
    Deno.unrefTimer(this.#pump);
    this.#stopped = new Promise((resolve, reject) => {
      this.#resolveStopped = resolve;
      this.#rejectStopped = reject;
    });
    // A failure is reported through stop() and `failure`; nobody may be awaiting yet.
    this.#stopped.catch(() => {});
  }

  /**
   * Start sampling; resolves once the worker has opened NVML and taken its first round, rejects with
   * GpuLost or SamplingFailed when it cannot.
   */
  static start(options: SamplerOptions): Promise<GpuSampler> {
    if (!(options.intervalMs >= 1 && options.intervalMs <= 10_000)) {
      throw new RangeError(`sampling interval must be 1 to 10,000 ms, got ${options.intervalMs}`);
    }
    const worker = new Worker(new URL("./sampler_worker.ts", import.meta.url), { type: "module" });
    const sampler = new GpuSampler(worker, options.uuids);
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<SamplerEvent>) => {
        const message = event.data;
        if (message.type === "started") resolve(sampler);
        sampler.#handle(message);
        if (message.type === "failed") reject(sampler.#failure);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        sampler.#failure ??= new SamplingFailed(`the sampler's worker crashed: ${event.message}`);
        sampler.#rejectStopped(sampler.#failure);
        worker.terminate();
        reject(sampler.#failure);
      };
      sampler.setPhase(options.phase ?? "idle");
      const command: SamplerCommand = {
        type: "start",
        libraryPath: options.libraryPath,
        uuids: options.uuids,
        intervalMs: options.intervalMs,
        control: sampler.#control.buffer as SharedArrayBuffer,
        ring: sampler.#ringBuffers,
      };
      worker.postMessage(command);
    });
  }

  /** Move the ring's new samples into the buffer, dropping (and counting) the oldest beyond its bound. */
  #takeFromRing(): void {
    // One push per sample: a spread of a large batch would overflow the call stack.
    for (const sample of this.#ring.read()) this.#buffer.push(sample);
    const excess = this.#buffer.length - MAX_BUFFERED_SAMPLES;
    if (excess > 0) {
      this.#buffer.splice(0, excess);
      this.#dropped += excess;
    }
  }

  #handle(message: SamplerEvent): void {
    if (message.type === "flushed") {
      this.#takeFromRing();
      const ready = this.#flushWaiters.filter((w) => w.id <= message.id);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.id > message.id);
      for (const waiter of ready) waiter.resolve();
    } else if (message.type === "stopped") {
      this.#takeFromRing();
      clearInterval(this.#pump);
      this.#worker.terminate();
      this.#resolveStopped(message.timing);
    } else if (message.type === "failed") {
      this.#takeFromRing();
      clearInterval(this.#pump);
      this.#failure ??= message.lost
        ? new GpuLost(message.lost)
        : new SamplingFailed(`GPU sampling failed: ${message.message}`);
      this.#worker.terminate();
      this.#rejectStopped(this.#failure);
    }
  }

  /** Label the samples taken from now on. */
  setPhase(phase: SamplePhase): void {
    Atomics.store(this.#control, CONTROL.phase, PHASES.indexOf(phase));
  }

  /**
   * Wake the worker for one more round and wait until every sample taken so far has reached this side
   * (the worker otherwise posts in batches): call it when a window closes, before drain(). Resolves at
   * once when sampling has stopped or failed.
   */
  flush(): Promise<void> {
    if (this.#failure) return Promise.resolve();
    const id = Atomics.add(this.#control, CONTROL.flush, 1) + 1;
    const flushed = new Promise<void>((resolve) => this.#flushWaiters.push({ id, resolve }));
    Atomics.add(this.#control, CONTROL.wake, 1);
    Atomics.notify(this.#control, CONTROL.wake);
    return Promise.race([flushed, this.#stopped.then(() => {}, () => {})]);
  }

  /** Take the samples received so far, oldest first. */
  drain(): TaggedSample[] {
    this.#takeFromRing();
    const samples = this.#buffer;
    this.#buffer = [];
    return samples;
  }

  /** Samples dropped because nobody drained the buffer in time. */
  get droppedSamples(): number {
    return this.#dropped + this.#ring.dropped;
  }

  /** Why sampling stopped early (a lost GPU names its UUID and the NVML call), or null while healthy. */
  get failure(): GpuLost | SamplingFailed | null {
    return this.#failure;
  }

  /** Stop sampling; resolves with the timing statistics, rejects with `failure` if sampling failed. */
  async stop(): Promise<SamplerTiming> {
    if (!this.#failure) {
      Atomics.store(this.#control, CONTROL.stop, 1);
      Atomics.add(this.#control, CONTROL.wake, 1);
      Atomics.notify(this.#control, CONTROL.wake);
    }
    return await this.#stopped;
  }
}
