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
 * `energy_adjusted_j = total − baseline_power_w × duration`: the energy attributable to inference over
 * what the GPUs draw idle. A negative difference (a baseline measured hotter, or an idle draw that
 * drifted up) is floored at 0 with a warning; no baseline gives null.
 */
export function energyAdjustment(
  totalJoules: number,
  options: { baselinePowerWatts: number | null; durationSeconds: number },
): EnergyAdjustment {
  const { baselinePowerWatts, durationSeconds } = options;
  if (baselinePowerWatts === null) {
    return { adjustedJoules: null, baselineJoules: null, floored: false, warnings: [] };
  }
  const baselineJoules = baselinePowerWatts * durationSeconds;
  const raw = totalJoules - baselineJoules;
  if (raw >= 0) return { adjustedJoules: raw, baselineJoules, floored: false, warnings: [] };
  return {
    adjustedJoules: 0,
    baselineJoules,
    floored: true,
    warnings: [
      `baseline-adjusted energy would be negative (${totalJoules.toFixed(3)} J measured, ` +
      `${baselineJoules.toFixed(3)} J idle at ${baselinePowerWatts.toFixed(2)} W over ${
        durationSeconds.toFixed(3)
      } s): floored at 0; the baseline is probably stale or was measured in another thermal state`,
    ],
  };
}
