/** One power sample on the host's monotonic clock. */
export interface PowerSample {
  timeSeconds: number;
  powerWatts: number;
}

/** Energy from integrated power samples over a slice of time, or null with the reason. */
export interface IntegratedEnergy {
  energyJoules: number | null;
  /** Samples inside the slice. */
  sampleCount: number;
  reason: string | null;
}

/**
 * Trapezoidal integral of power over [startSeconds, endSeconds]. Samples must be in time order. The
 * slice edges are interpolated linearly between the neighbouring samples; a slice not covered by
 * samples at both edges gives null, since extrapolating power would invent energy.
 */
export function integratePower(
  samples: readonly PowerSample[],
  startSeconds: number,
  endSeconds: number,
): IntegratedEnergy {
  const inside = samples.filter((s) => s.timeSeconds > startSeconds && s.timeSeconds < endSeconds).length;
  if (!(endSeconds > startSeconds)) {
    return { energyJoules: null, sampleCount: inside, reason: "empty time slice" };
  }
  if (
    samples.length < 2 || samples[0]!.timeSeconds > startSeconds || samples.at(-1)!.timeSeconds < endSeconds
  ) {
    return { energyJoules: null, sampleCount: inside, reason: "power samples do not cover the whole slice" };
  }
  let energy = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const from = Math.max(a.timeSeconds, startSeconds);
    const to = Math.min(b.timeSeconds, endSeconds);
    if (to <= from) continue;
    const at = (t: number) =>
      b.timeSeconds === a.timeSeconds ? b.powerWatts : a.powerWatts +
        (b.powerWatts - a.powerWatts) * (t - a.timeSeconds) / (b.timeSeconds - a.timeSeconds);
    energy += (at(from) + at(to)) / 2 * (to - from);
  }
  return { energyJoules: energy, sampleCount: inside, reason: null };
}
