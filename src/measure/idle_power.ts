import { maxOf } from "./max_of.ts";

/** Idle power of one GPU over a measured stretch. */
export interface IdlePower {
  /** The figure used: from the energy counter where it moved, else the mean of the power samples. */
  powerWatts: number | null;
  method: "energy_counter" | "mean_power_samples" | null;
  counterPowerWatts: number | null;
  samplesMeanWatts: number | null;
  samplesStdWatts: number | null;
  sampleCount: number;
  durationSeconds: number;
  warnings: string[];
}

/** A GPU busier than this (utilisation %) during a baseline is not idle. */
export const IDLE_UTILIZATION_PERCENT = 5;

/** The samples idle power needs. */
export interface IdleSample {
  timeSeconds: number;
  powerWatts: number | null;
  energyJoules: number | null;
  utilizationGpuPercent: number | null;
}

/**
 * Idle power from samples taken while nothing ran: energy-counter difference over elapsed time
 * where the counter moved, else the mean sampled power. Utilisation above IDLE_UTILIZATION_PERCENT
 * at any sample is reported: such a baseline is not idle.
 */
export function idlePower(samples: readonly IdleSample[]): IdlePower {
  const warnings: string[] = [];
  const powers = samples.map((s) => s.powerWatts).filter((p): p is number => p !== null);
  const mean = powers.length ? powers.reduce((a, b) => a + b, 0) / powers.length : null;
  const std = mean !== null && powers.length > 1
    ? Math.sqrt(powers.reduce((a, p) => a + (p - mean) ** 2, 0) / (powers.length - 1))
    : null;
  const withEnergy = samples.filter((s) => s.energyJoules !== null);
  let counterWatts: number | null = null;
  if (withEnergy.length >= 2) {
    const first = withEnergy[0]!;
    const last = withEnergy.at(-1)!;
    const seconds = last.timeSeconds - first.timeSeconds;
    const joules = last.energyJoules! - first.energyJoules!;
    if (seconds > 0 && joules >= 0) counterWatts = joules / seconds;
    else if (joules < 0) {
      warnings.push("the energy counter went backwards during the baseline (driver reloaded?)");
    }
  }
  const busiest = maxOf([0, ...samples.map((s) => s.utilizationGpuPercent ?? 0)])!;
  if (busiest > IDLE_UTILIZATION_PERCENT) {
    warnings.push(`the GPU was not idle during the baseline: utilisation reached ${busiest}%`);
  }
  if (samples.length < 10) warnings.push(`only ${samples.length} samples in the baseline`);
  const durationSeconds = samples.length >= 2 ? samples.at(-1)!.timeSeconds - samples[0]!.timeSeconds : 0;
  const powerWatts = counterWatts ?? mean;
  if (powerWatts === null) warnings.push("no power or energy counter reading: idle power unknown");
  return {
    powerWatts,
    method: counterWatts !== null ? "energy_counter" : mean !== null ? "mean_power_samples" : null,
    counterPowerWatts: counterWatts,
    samplesMeanWatts: mean,
    samplesStdWatts: std,
    sampleCount: samples.length,
    durationSeconds,
    warnings,
  };
}

/** Whether a spot-check reading still agrees with a cached baseline within `driftThreshold` (a fraction). */
export function baselineStillValid(
  cachedWatts: number,
  spotCheckWatts: number,
  driftThreshold: number,
): boolean {
  return cachedWatts > 0 && Math.abs(spotCheckWatts - cachedWatts) / cachedWatts <= driftThreshold;
}
