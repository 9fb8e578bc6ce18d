import { GpuLost } from "./gpu_lost.ts";
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

/** Options for starting a sampler: the NVML library its worker opens, and what to sample. */
export interface SamplerOptions extends SamplerStart {
  libraryPath: string;
}

/**
 * Host side of the sampler: a worker reads NVML on its own thread; this collects its batches in a
 * bounded buffer that the caller drains (for example per experiment), and relays phase changes.
 */
export class GpuSampler implements Sampler {
  readonly #worker: Worker;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
  #buffer: TaggedSample[] = [];
  #dropped = 0;
  #failure: GpuLost | SamplingFailed | null = null;
  #stopped: Promise<SamplerTiming>;
  #flushWaiters: { id: number; resolve: () => void }[] = [];
  #resolveStopped!: (timing: SamplerTiming) => void;
  #rejectStopped!: (error: GpuLost | SamplingFailed) => void;

  private constructor(worker: Worker) {
    this.#worker = worker;
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
    const sampler = new GpuSampler(worker);
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
      };
      worker.postMessage(command);
    });
  }

  #handle(message: SamplerEvent): void {
    if (message.type === "samples") {
      // One push per sample: a spread of a large batch would overflow the call stack.
      for (const sample of message.samples) this.#buffer.push(sample);
      const excess = this.#buffer.length - MAX_BUFFERED_SAMPLES;
      if (excess > 0) {
        this.#buffer.splice(0, excess);
        this.#dropped += excess;
      }
    } else if (message.type === "flushed") {
      const ready = this.#flushWaiters.filter((w) => w.id <= message.id);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.id > message.id);
      for (const waiter of ready) waiter.resolve();
    } else if (message.type === "stopped") {
      this.#worker.terminate();
      this.#resolveStopped(message.timing);
    } else if (message.type === "failed") {
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
    const samples = this.#buffer;
    this.#buffer = [];
    return samples;
  }

  /** Samples dropped because nobody drained the buffer in time. */
  get droppedSamples(): number {
    return this.#dropped;
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
