/**
 * Sampling intervals a complete baseline's samples may fall short of its planned duration by: the first
 * and the last round can each land up to one interval inside the baseline's edges, and one more covers a
 * round the sampler took late.
 */
export const BASELINE_EDGE_INTERVALS = 3;

/**
 * Why a baseline's samples (one GPU's, in time order) are not the baseline planned, or null when they
 * cover `plannedSeconds` less BASELINE_EDGE_INTERVALS of their median sampling interval. A baseline cut
 * short (interrupted, a sampler that stopped or dropped samples) gives a figure, but not one to keep.
 */
export function baselineShortfall(
  samples: readonly { timeSeconds: number }[],
  plannedSeconds: number,
): string | null {
  if (samples.length < 2) return `only ${samples.length} sample(s), which show no duration`;
  const gaps = samples.slice(1).map((s, i) => s.timeSeconds - samples[i]!.timeSeconds).sort((a, b) => a - b);
  const intervalSeconds = gaps[Math.floor(gaps.length / 2)]!;
  const coveredSeconds = samples.at(-1)!.timeSeconds - samples[0]!.timeSeconds;
  if (coveredSeconds + BASELINE_EDGE_INTERVALS * intervalSeconds >= plannedSeconds) return null;
  return `its samples cover ${coveredSeconds.toFixed(2)} s of the ${plannedSeconds} s planned`;
}
