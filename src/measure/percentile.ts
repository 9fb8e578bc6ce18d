/**
 * Percentiles by linear interpolation between closest ranks: definition 7 of Hyndman & Fan (1996), the
 * default of NumPy (`method="linear"`), R (`type = 7`) and Excel's PERCENTILE.INC. For sorted values
 * x[0..n-1], the p-th percentile sits at rank h = (n - 1) * p / 100 and is
 * x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]).
 */
export function percentile(values: readonly number[], p: number): number | null {
  return percentiles(values, [p])[0] ?? null;
}

/** Several percentiles (0-100) of the same values, sorting once; each is null when there are no values. */
export function percentiles(values: readonly number[], ps: readonly number[]): (number | null)[] {
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  }
  if (values.some((v) => Number.isNaN(v))) throw new RangeError("cannot take a percentile of NaN");
  if (values.length === 0) return ps.map(() => null);
  const sorted = Float64Array.from(values).sort();
  return ps.map((p) => {
    const rank = (sorted.length - 1) * p / 100;
    const below = Math.floor(rank);
    const low = sorted[below]!;
    const high = sorted[Math.min(below + 1, sorted.length - 1)]!;
    return low + (rank - below) * (high - low);
  });
}
