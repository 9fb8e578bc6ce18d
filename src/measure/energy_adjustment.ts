/** Energy with the idle baseline taken out. */
export interface EnergyAdjustment {
  /** total − baseline × duration, floored at 0; null when there is no baseline. */
  adjustedJoules: number | null;
  /** baseline × duration: the energy idle would have drawn; null without a baseline. */
  baselineJoules: number | null;
  /** The raw difference was negative and was floored at 0. */
  floored: boolean;
  warnings: string[];
}

/**
 * The longest update period of NVML's energy counter assumed where the run's own reads could not tell it,
 * seconds: reported as 20 to 100 ms on recent GPUs (PETSc's notes on nvmlDeviceGetTotalEnergyConsumption);
 * `deno run -A scripts/gpu_probe.ts` measures it on a given GPU.
 */
export const COUNTER_UPDATE_PERIOD_BOUND_SECONDS = 0.1;

/** NVML's counter counts whole millijoules: each of a window's two reads is rounded by up to this, joules. */
export const COUNTER_GRANULARITY_JOULES = 0.001;

/**
 * How far a window's measured energy can fall below the truth through the counter alone, joules: each edge
 * read may lag the last update by up to one period, so the difference can miss one period's energy at the
 * window's mean power, plus the millijoule rounding of its two reads.
 */
export function counterResolutionJoules(
  totalJoules: number,
  window: { durationSeconds: number; counterUpdatePeriodSeconds?: number | null },
): number {
  const period = window.counterUpdatePeriodSeconds ?? COUNTER_UPDATE_PERIOD_BOUND_SECONDS;
  const meanPowerWatts = window.durationSeconds > 0 ? totalJoules / window.durationSeconds : 0;
  return 2 * COUNTER_GRANULARITY_JOULES + period * meanPowerWatts;
}

/**
 * `energy_adjusted_j = total − baseline_power_w × duration`: the energy attributable to inference over
 * what the GPUs draw idle. A negative difference is floored at 0. Only a deficit larger than the counter's
 * resolution (counterResolutionJoules()) is a warning, since it means the GPUs drew less than their
 * baseline (a baseline measured hotter, or an idle draw that drifted); a smaller one is the counter's
 * rounding on a window that drew about the idle power. No baseline gives null.
 */
export function energyAdjustment(
  totalJoules: number,
  options: {
    baselinePowerWatts: number | null;
    durationSeconds: number;
    /** The counter's update period where known (counterUpdatePeriod()); else the bound above. */
    counterUpdatePeriodSeconds?: number | null;
  },
): EnergyAdjustment {
  const { baselinePowerWatts, durationSeconds } = options;
  if (baselinePowerWatts === null) {
    return { adjustedJoules: null, baselineJoules: null, floored: false, warnings: [] };
  }
  const baselineJoules = baselinePowerWatts * durationSeconds;
  const raw = totalJoules - baselineJoules;
  if (raw >= 0) return { adjustedJoules: raw, baselineJoules, floored: false, warnings: [] };
  const resolution = counterResolutionJoules(totalJoules, options);
  const warnings = -raw <= resolution ? [] : [
    `baseline-adjusted energy would be negative (${totalJoules.toFixed(3)} J measured, ` +
    `${baselineJoules.toFixed(3)} J idle at ${baselinePowerWatts.toFixed(2)} W over ${
      durationSeconds.toFixed(3)
    } s), by more than the energy counter's resolution (${resolution.toFixed(3)} J): floored at 0; ` +
    "the baseline is probably stale or was measured in another thermal state",
  ];
  return { adjustedJoules: 0, baselineJoules, floored: true, warnings };
}
