/**
 * An in-memory GPU system for the study runner's unit tests: GPUs with scripted power (piecewise constant,
 * so the energy counter is its exact integral), temperature and processes, that can be lost on command;
 * a sampler that samples them on an injected clock; and that clock. They keep the real contracts: a GPU
 * without an energy counter reads null, a lost GPU throws GpuLost on every read, the sampler refuses an
 * interval outside 1 ms to 10 s and a GPU the system does not have, and it labels a sample with the phase
 * in force when it was taken.
 */
import type { GpuInfo, GpuSystem } from "../src/gpu/gpu.ts";
import { type PowerSteps, SimulatedGpu } from "../src/gpu/simulated_gpu.ts";
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

export type { PowerSteps } from "../src/gpu/simulated_gpu.ts";

/** A simulated GPU with the test fixture's info (an H100 unless a test says otherwise). */
export class FakeGpu extends SimulatedGpu {
  constructor(
    clock: StudyClock,
    options: { info?: Partial<GpuInfo>; watts?: number; power?: PowerSteps } = {},
  ) {
    super(clock, { ...options, info: gpuInfoFixture(options.info) });
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

/** The simulated sampler (src/gpu/simulated_sampler.ts), under the name the tests know it by. */
export { SimulatedSampler as FakeSampler } from "../src/gpu/simulated_sampler.ts";
