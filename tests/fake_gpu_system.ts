/**
 * An in-memory GPU system for the study runner's unit tests: GPUs with scripted power (piecewise constant,
 * so the energy counter is its exact integral), temperature and processes, that can be lost on command;
 * a sampler that samples them on an injected clock; and that clock. They keep the real contracts: a GPU
 * without an energy counter reads null, a lost GPU throws GpuLost on every read, the sampler refuses an
 * interval outside 1 ms to 10 s and a GPU the system does not have, and it labels a sample with the phase
 * in force when it was taken.
 */
import type { Gpu, GpuInfo, GpuProcess, GpuSample, GpuSystem } from "../src/gpu/gpu.ts";
import { GpuLost } from "../src/gpu/gpu_lost.ts";
import type { Sampler, SamplerStart } from "../src/gpu/sampler.ts";
import type { SamplePhase, SamplerTiming, TaggedSample } from "../src/gpu/sampler_protocol.ts";
import { SamplingFailed } from "../src/gpu/sampling_failed.ts";
import type { StudyClock } from "../src/study/study_ports.ts";
import { gpuInfoFixture } from "./gpu_info_fixture.ts";

/** A clock that moves only when told to, or when someone sleeps on it (instantly). */
export class FakeClock implements StudyClock {
  #seconds: number;

  constructor(startSeconds = 1_800_000_000) {
    this.#seconds = startSeconds;
  }

  nowSeconds(): number {
    return this.#seconds;
  }

  now(): Date {
    return new Date(this.#seconds * 1000);
  }

  /** Called after each second a sleep passes (a test may abort a signal there). */
  onSleepTick: (nowSeconds: number) => void = () => {};

  /** Sleeping moves the clock at once, a second at a time; an aborted signal ends the sleep there. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    let left = seconds;
    while (left > 0 && !signal?.aborted) {
      const step = Math.min(1, left);
      this.#seconds += step;
      left -= step;
      this.onSleepTick(this.#seconds);
    }
    return Promise.resolve();
  }

  readonly #timers = new Set<() => void>();

  /** Timers fire only when a test calls tick(). */
  every(_ms: number, tick: () => void): () => void {
    this.#timers.add(tick);
    return () => this.#timers.delete(tick);
  }

  /** Fire every timer once. */
  tick(): void {
    for (const timer of [...this.#timers]) timer();
  }

  /** Timers not cancelled yet. */
  get timers(): number {
    return this.#timers.size;
  }

  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`a clock cannot go back (${seconds} s)`);
    this.#seconds += seconds;
  }
}

/** What a fake GPU draws: watts from a time on (Unix seconds) on, in time order. */
export type PowerSteps = readonly { fromSeconds: number; watts: number }[];

/** A scripted GPU: its power, temperature and processes, and a way to lose it. */
export class FakeGpu implements Gpu {
  readonly info: GpuInfo;
  readonly processes: GpuProcess[] = [];
  /** Temperature at a time (Unix seconds); 40 °C throughout unless a test sets it. */
  temperatureAt: (t: number) => number = () => 40;
  /**
   * Seconds between the energy counter's updates, counted from the first power step: the counter holds
   * its value in between, as NVML's does (20 to 100 ms on recent GPUs). 0 (the default): it is exact.
   */
  counterUpdateSeconds = 0;
  #power: PowerSteps;
  #lostAfterReads: number | null = null;
  #reads = 0;
  readonly #clock: StudyClock;

  constructor(
    clock: StudyClock,
    options: { info?: Partial<GpuInfo>; watts?: number; power?: PowerSteps } = {},
  ) {
    this.#clock = clock;
    this.info = gpuInfoFixture(options.info);
    // The counter starts with the clock, as a real one counts from driver load: small enough to keep
    // every difference exact to well under a millijoule.
    this.#power = options.power ?? [{ fromSeconds: clock.nowSeconds(), watts: options.watts ?? 100 }];
  }

  /** From now on, draw `watts`. */
  draw(watts: number): void {
    this.#power = [...this.#power, { fromSeconds: this.#clock.nowSeconds(), watts }];
  }

  /** The GPU is lost after `reads` more reads of any kind (0: at once). */
  loseAfter(reads: number): void {
    this.#lostAfterReads = this.#reads + reads;
  }

  /** Power at `t`. */
  powerAt(t: number): number {
    let watts = this.#power[0]?.watts ?? 0;
    for (const step of this.#power) if (step.fromSeconds <= t) watts = step.watts;
    return watts;
  }

  /** The exact energy from the first power step to `t`, joules (the counter's value). */
  energyAt(t: number): number {
    let joules = 0;
    for (const [i, step] of this.#power.entries()) {
      const from = step.fromSeconds;
      const to = Math.min(t, this.#power[i + 1]?.fromSeconds ?? Infinity);
      if (to > from) joules += step.watts * (to - from);
    }
    return joules;
  }

  /** The counter's value at `t`: the energy at its last update. */
  counterAt(t: number): number {
    const step = this.counterUpdateSeconds;
    const origin = this.#power[0]?.fromSeconds ?? 0;
    return this.energyAt(step > 0 ? origin + Math.floor((t - origin) / step) * step : t);
  }

  readEnergyJoules(): number | null {
    this.#read("nvmlDeviceGetTotalEnergyConsumption");
    return this.info.capabilities.energyCounter ? this.counterAt(this.#clock.nowSeconds()) : null;
  }

  readPowerWatts(): { powerWatts: number; source: "instant_field" } {
    this.#read("nvmlDeviceGetFieldValues");
    return { powerWatts: this.powerAt(this.#clock.nowSeconds()), source: "instant_field" };
  }

  sample(timeSeconds: number): GpuSample {
    this.#read("nvmlDeviceGetFieldValues");
    return {
      timeSeconds,
      energyJoules: this.info.capabilities.energyCounter ? this.counterAt(timeSeconds) : null,
      powerWatts: this.powerAt(timeSeconds),
      powerSource: "instant_field",
      temperatureCelsius: this.temperatureAt(timeSeconds),
      memoryUsedBytes: 1e9,
      smClockMhz: 1980,
      memoryClockMhz: 2619,
      utilizationGpuPercent: 0,
      utilizationMemoryPercent: 0,
      clockEventReasons: 0n,
      errorCount: 0,
    };
  }

  runningProcesses(): GpuProcess[] {
    this.#read("nvmlDeviceGetComputeRunningProcesses_v3");
    return [...this.processes];
  }

  #read(nvmlFunction: string): void {
    this.#reads += 1;
    if (this.#lostAfterReads !== null && this.#reads > this.#lostAfterReads) {
      throw new GpuLost({
        uuid: this.info.uuid,
        nvmlFunction,
        nvmlCode: 15,
        nvmlMessage: `${nvmlFunction} failed: NVML_ERROR_GPU_IS_LOST (GPU is lost)`,
      });
    }
  }
}

/** `count` fake GPUs (GPU-0, GPU-1, ...) on `clock`, each drawing `watts`. */
export function fakeGpuSystem(
  clock: StudyClock,
  options: { count?: number; watts?: number } = {},
): GpuSystem & {
  gpus: FakeGpu[];
} {
  const gpus = Array.from({ length: options.count ?? 1 }, (_, index) =>
    new FakeGpu(clock, {
      info: { index, uuid: `GPU-${index}`, pciBusId: `00000000:0${index + 1}:00.0` },
      watts: options.watts ?? 100,
    }));
  return { driverVersion: "580.65.06", cudaDriverVersion: "13.0", libraryPath: "fake", gpus, close() {} };
}

/**
 * A sampler over fake GPUs: it takes a round every `intervalMs` of the clock's time, lazily (whenever it
 * is drained, flushed or its phase changes), labelling each round with the phase then in force. It holds
 * at most `maxBuffered` samples between drains, dropping the oldest beyond, as the real one does. Like the
 * real worker, which posts in batches, drain() holds back the samples of the last `lagSeconds`; flush()
 * releases them, after a round at the time of the call (the real worker answers a flush after its next
 * round, so a window's closing edge always has a sample at or after it).
 */
export class FakeSampler implements Sampler {
  readonly #gpus: FakeGpu[];
  readonly #clock: StudyClock;
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

  constructor(
    system: { gpus: FakeGpu[] },
    options: SamplerStart & { clock: StudyClock; maxBuffered?: number; lagSeconds?: number },
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
    this.#nextRoundSeconds = options.clock.nowSeconds();
    this.#catchUp();
    if (this.#failure) throw this.#failure;
  }

  setPhase(phase: SamplePhase): void {
    this.#catchUp();
    this.#phase = phase;
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
