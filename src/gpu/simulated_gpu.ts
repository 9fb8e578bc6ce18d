import type { Gpu, GpuInfo, GpuProcess, GpuSample } from "./gpu.ts";
import { GpuLost } from "./gpu_lost.ts";

/** What a simulated GPU draws: watts from a time on (the clock's seconds) on, in time order. */
export type PowerSteps = readonly { fromSeconds: number; watts: number }[];

/** Seconds on some clock: the study's, or a test's fake one. */
export interface SecondsClock {
  nowSeconds(): number;
}

/**
 * A GPU in memory: scripted power (piecewise constant, so the energy counter is its exact integral, held
 * between updates as NVML's is), temperature, clock-event reasons, utilisation and processes, and a way to
 * lose it. It keeps the real contracts: a GPU without an energy counter reads null, a lost GPU throws
 * GpuLost on every read. `llem demo` measures one; the study runner's tests script them.
 */
export class SimulatedGpu implements Gpu {
  readonly info: GpuInfo;
  readonly processes: GpuProcess[] = [];
  /** Temperature at a time (Unix seconds); 40 °C throughout unless a test sets it. */
  temperatureAt: (t: number) => number = () => 40;
  /** Clock-event (throttle) reason bits at a time; none unless set. */
  clockEventReasonsAt: (t: number) => bigint = () => 0n;
  /** GPU utilisation (percent) at a time; 0 unless set. */
  utilizationAt: (t: number) => number = () => 0;
  /**
   * Seconds between the energy counter's updates, counted from the first power step: the counter holds
   * its value in between, as NVML's does (20 to 100 ms on recent GPUs). 0 (the default): it is exact.
   */
  counterUpdateSeconds = 0;
  #power: PowerSteps;
  #lostAfterReads: number | null = null;
  #reads = 0;
  readonly #clock: SecondsClock;

  constructor(clock: SecondsClock, options: { info: GpuInfo; watts?: number; power?: PowerSteps }) {
    this.#clock = clock;
    this.info = options.info;
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
      utilizationGpuPercent: this.utilizationAt(timeSeconds),
      utilizationMemoryPercent: this.utilizationAt(timeSeconds) / 2,
      clockEventReasons: this.clockEventReasonsAt(timeSeconds),
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
