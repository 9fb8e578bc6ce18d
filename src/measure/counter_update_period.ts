/** A read of a GPU's energy counter (null where the read failed), on the host's clock. */
export interface CounterSample {
  timeSeconds: number;
  energyJoules: number | null;
}

/** Changes of the reading needed before their spacing is taken as the counter's update period. */
export const MIN_COUNTER_CHANGES = 3;

/**
 * How often a GPU's energy counter updates, seconds, from reads of it in time order: the mean time between
 * the reads at which its value changed. NVML does not publish the period (20 to 100 ms on recent GPUs), so
 * it is read off the counter itself. That works only when the reads come faster than the updates: where
 * every read differs from the last, the counter updated at least once per read, by an unknown number of
 * steps, and the period is null, as it is with fewer than MIN_COUNTER_CHANGES changes.
 */
export function counterUpdatePeriod(reads: readonly CounterSample[]): number | null {
  const known = reads.filter((r): r is { timeSeconds: number; energyJoules: number } =>
    r.energyJoules !== null
  );
  const changedAt: number[] = [];
  let unchanged = 0;
  for (const [i, read] of known.entries()) {
    const previous = known[i - 1];
    // Two reads at one instant say nothing about the period.
    if (!previous || read.timeSeconds <= previous.timeSeconds) continue;
    if (read.energyJoules !== previous.energyJoules) changedAt.push(read.timeSeconds);
    else unchanged += 1;
  }
  if (unchanged === 0 || changedAt.length < MIN_COUNTER_CHANGES) return null;
  return (changedAt.at(-1)! - changedAt[0]!) / (changedAt.length - 1);
}
