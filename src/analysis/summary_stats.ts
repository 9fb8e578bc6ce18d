/**
 * Average and percentiles of a metric over a window's requests, computed exactly as LLMeter's
 * `summary_stats_from_list` does, so that llem's per-request statistics carry LLMeter's keys and values:
 * NaN values dropped; `average` the arithmetic mean; `p50` the median; other percentiles from Python's
 * `statistics.quantiles(data, n)` (its default "exclusive" method, on ranks spaced by n + 1) with n the
 * smallest of 4, 10 and 100 that the percentile divides; a single value is every percentile. No values,
 * no statistics (an empty object), as LLMeter returns.
 */
export function summaryStats(
  values: readonly number[],
  percentiles: readonly number[] = [50, 90, 99],
): Record<string, number> {
  const clean = values.filter((value) => !Number.isNaN(value));
  if (clean.length === 0) return {};
  const sorted = Float64Array.from(clean).sort();
  const stats: Record<string, number> = { average: mean(sorted) };
  for (const p of percentiles) {
    stats[`p${p}`] = sorted.length === 1 ? sorted[0]! : p === 50 ? median(sorted) : quantileAt(sorted, p);
  }
  return stats;
}

function mean(sorted: Float64Array): number {
  let sum = 0;
  for (const value of sorted) sum += value;
  return sum / sorted.length;
}

function median(sorted: Float64Array): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The p-th percentile as LLMeter takes it from Python's exclusive quantiles (at least two values). */
function quantileAt(sorted: Float64Array, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 99) {
    throw new RangeError(`percentile ${p} must be a whole number between 1 and 99`);
  }
  const n = [4, 10, 100].find((base) => p % (100 / base) === 0)!;
  // Python: quantiles(data, n)[i - 1] with i = p * n / 100, on m = len + 1 spaced ranks.
  const i = p * n / 100;
  const size = sorted.length;
  const m = size + 1;
  const j = Math.min(Math.max(Math.floor(i * m / n), 1), size - 1);
  const delta = i * m - j * n;
  return (sorted[j - 1]! * (n - delta) + sorted[j]! * delta) / n;
}
