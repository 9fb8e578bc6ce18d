import { GpuLost } from "./gpu_lost.ts";
import type { Sampler, SamplerStart } from "./sampler.ts";
import type { SamplePhase, SamplerTiming, TaggedSample } from "./sampler_protocol.ts";
import { SamplingFailed } from "./sampling_failed.ts";
import type { SecondsClock, SimulatedGpu } from "./simulated_gpu.ts";

/**
 * A sampler over simulated GPUs: it takes a round every `intervalMs` of the clock's time, lazily (whenever it
 * is drained, flushed or its phase changes), labelling each round with the phase then in force. It holds
 * at most `maxBuffered` samples between drains, dropping the oldest beyond, as the real one does. Like the
 * real worker, which posts in batches, drain() holds back the samples of the last `lagSeconds`; flush()
 * releases them, after a round at the time of the call (the real worker answers a flush after its next
 * round, so a window's closing edge always has a sample at or after it).
 */
export class SimulatedSampler implements Sampler {
  readonly #gpus: SimulatedGpu[];
  readonly #clock: SecondsClock;
  readonly #intervalSeconds: number;
  readonly #maxBuffered: number;
  readonly #lagSeconds: number;
  #released = false;
  #phase: SamplePhase;
  #nextRoundSeconds: number;
  #lastRoundSeconds = -Infinity;
  #buffer: TaggedSample[] = [];
  #dropped = 0;
  #failure: GpuLost | SamplingFailed | null = null;
  #stopped = false;
  readonly #onPhase: (phase: SamplePhase) => void;

  constructor(
    system: { gpus: SimulatedGpu[] },
    options: SamplerStart & {
      clock: SecondsClock;
      maxBuffered?: number;
      lagSeconds?: number;
      /** Told each phase as it begins (a simulated load may follow the study's phases). */
      onPhase?: (phase: SamplePhase) => void;
    },
  ) {
    if (!(options.intervalMs >= 1 && options.intervalMs <= 10_000)) {
      throw new RangeError(`sampling interval must be 1 to 10,000 ms, got ${options.intervalMs}`);
    }
    this.#gpus = options.uuids.map((uuid) => {
      const gpu = system.gpus.find((g) => g.info.uuid === uuid);
      if (!gpu) throw new SamplingFailed(`GPU ${uuid} is not on this machine`);
      return gpu;
    });
    this.#clock = options.clock;
    this.#intervalSeconds = options.intervalMs / 1000;
    this.#maxBuffered = options.maxBuffered ?? 500_000;
    this.#lagSeconds = options.lagSeconds ?? 0;
    this.#phase = options.phase ?? "idle";
    this.#onPhase = options.onPhase ?? (() => {});
    this.#nextRoundSeconds = options.clock.nowSeconds();
    this.#catchUp();
    if (this.#failure) throw this.#failure;
  }

  setPhase(phase: SamplePhase): void {
    this.#catchUp();
    this.#phase = phase;
    this.#onPhase(phase);
  }

  /**
   * Like the real worker, which answers a flush after the next round it takes, so that a window's closing
   * edge has a sample at or after it: a round is taken now, unless one was just taken at this time.
   */
  flush(): Promise<void> {
    this.#catchUp();
    const now = this.#clock.nowSeconds();
    if (this.#lastRoundSeconds < now) this.#round(now);
    this.#released = true;
    return Promise.resolve();
  }

  drain(): TaggedSample[] {
    this.#catchUp();
    const cutoff = this.#released ? Infinity : this.#clock.nowSeconds() - this.#lagSeconds;
    this.#released = false;
    const due = this.#buffer.filter((s) => s.timeSeconds <= cutoff);
    this.#buffer = this.#buffer.filter((s) => s.timeSeconds > cutoff);
    return due;
  }

  get droppedSamples(): number {
    return this.#dropped;
  }

  get failure(): GpuLost | SamplingFailed | null {
    return this.#failure;
  }

  stop(): Promise<SamplerTiming> {
    this.#catchUp();
    this.#stopped = true;
    if (this.#failure) return Promise.reject(this.#failure);
    return Promise.resolve({
      rounds: 0,
      meanIntervalMs: 0,
      medianJitterMs: 0,
      p99JitterMs: 0,
      errorCount: 0,
    });
  }

  /** Take every round due by now. */
  #catchUp(): void {
    const now = this.#clock.nowSeconds();
    while (!this.#stopped && !this.#failure && this.#nextRoundSeconds <= now) {
      this.#round(this.#nextRoundSeconds);
      this.#nextRoundSeconds += this.#intervalSeconds;
    }
  }

  /** One round at `t`: every GPU sampled, labelled with the phase in force; the oldest dropped past the limit. */
  #round(t: number): void {
    if (this.#stopped || this.#failure) return;
    this.#lastRoundSeconds = t;
    try {
      for (const gpu of this.#gpus) {
        this.#buffer.push({ ...gpu.sample(t), uuid: gpu.info.uuid, phase: this.#phase });
      }
    } catch (error) {
      if (!(error instanceof GpuLost)) throw error;
      this.#failure = error;
    }
    const excess = this.#buffer.length - this.#maxBuffered;
    if (excess > 0) {
      this.#buffer.splice(0, excess);
      this.#dropped += excess;
    }
  }
}
