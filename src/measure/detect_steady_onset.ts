/** A power reading, seconds since the window opened. */
export interface OnsetSample {
  timeSeconds: number;
  powerWatts: number | null;
}

/** Where steady state begins in a window, or why it could not be found. */
export type SteadyOnset =
  | { detected: true; onsetSeconds: number; referenceWatts: number; toleranceWatts: number }
  | { detected: false; reason: string };

/** Fewest readings a window needs before detection is attempted. */
export const MIN_ONSET_SAMPLES = 20;
/** Relative floor of the tolerance band around the steady level. */
export const ONSET_RELATIVE_TOLERANCE = 0.05;

/**
 * The onset of steady state in one GPU's power trace. The reference level is the trace's second half
 * (assumed steady; checked below). A sliding window of w readings (5% of them, at least 5) is "at
 * level" when its mean lies within max(5% of the reference mean, 3 reference standard deviations / sqrt
 * w) of it: the band allows the noise a w-reading mean has, and never less than 5%. The onset follows
 * the last window that is not at level (a ramp that dips back out is not steady yet): it is the reading
 * after that window's last reading that is off level on its own. The onset is rejected (not detected) when it
 * falls in the reference half itself, since then the second half was not steady, and when there are
 * fewer than MIN_ONSET_SAMPLES readings with power.
 */
export function detectSteadyOnset(samples: readonly OnsetSample[], durationSeconds: number): SteadyOnset {
  const points = samples.filter((s): s is { timeSeconds: number; powerWatts: number } =>
    s.powerWatts !== null && Number.isFinite(s.powerWatts) && s.timeSeconds >= 0 &&
    s.timeSeconds <= durationSeconds
  );
  if (points.length < MIN_ONSET_SAMPLES) {
    return {
      detected: false,
      reason: `${points.length} power readings in the window; detection needs at least ${MIN_ONSET_SAMPLES}`,
    };
  }
  const half = durationSeconds / 2;
  const reference = points.filter((p) => p.timeSeconds >= half).map((p) => p.powerWatts);
  if (reference.length < MIN_ONSET_SAMPLES / 2) {
    return { detected: false, reason: "too few power readings in the second half of the window" };
  }
  const mean = reference.reduce((a, b) => a + b, 0) / reference.length;
  const sd = Math.sqrt(reference.reduce((a, b) => a + (b - mean) ** 2, 0) / (reference.length - 1));
  const w = Math.max(5, Math.round(points.length * 0.05));
  const tolerance = Math.max(ONSET_RELATIVE_TOLERANCE * mean, (3 * sd) / Math.sqrt(w));
  // Windows [i, i + w): scan from the end for the last one off level.
  let sum = 0;
  for (let j = points.length - w; j < points.length; j++) sum += points[j]!.powerWatts;
  let onsetIndex = 0;
  for (let i = points.length - w; i >= 0; i--) {
    if (i < points.length - w) sum += points[i]!.powerWatts - points[i + w]!.powerWatts;
    if (Math.abs(sum / w - mean) > tolerance) {
      // Within that window, the onset follows its last reading that is off level on its own (there is
      // one: a mean off the band has a reading off it on the same side).
      let k = i + w - 1;
      while (k > i && Math.abs(points[k]!.powerWatts - mean) <= tolerance) k--;
      onsetIndex = k + 1;
      break;
    }
  }
  const onsetSeconds = onsetIndex === 0 ? 0 : points[onsetIndex]?.timeSeconds ?? durationSeconds;
  if (onsetSeconds >= half) {
    return {
      detected: false,
      reason: `power was still off its level (${mean.toFixed(1)} W ± ${tolerance.toFixed(1)} W) at ${
        onsetSeconds.toFixed(2)
      } s, in the second half of the window`,
    };
  }
  return { detected: true, onsetSeconds, referenceWatts: mean, toleranceWatts: tolerance };
}

/**
 * Steady onset over several GPUs: the latest of their onsets (steady state needs every GPU steady), not
 * detected when any GPU's is not.
 */
export function detectSteadyOnsetAll(
  gpus: readonly (readonly OnsetSample[])[],
  durationSeconds: number,
): { onsetSeconds: number } | { reason: string } {
  let onset = 0;
  for (const [index, samples] of gpus.entries()) {
    const found = detectSteadyOnset(samples, durationSeconds);
    if (!found.detected) return { reason: gpus.length > 1 ? `GPU #${index}: ${found.reason}` : found.reason };
    onset = Math.max(onset, found.onsetSeconds);
  }
  return { onsetSeconds: onset };
}
