/**
 * The largest of the numbers, null for none (nulls are skipped). A loop, not Math.max(...values): a
 * spread passes every value as an argument, and past about 125,000 of them the call stack overflows.
 */
export function maxOf(values: Iterable<number | null>): number | null {
  let max: number | null = null;
  for (const value of values) if (value !== null && (max === null || value > max)) max = value;
  return max;
}

/** The smallest of the numbers, null for none (nulls are skipped); see maxOf(). */
export function minOf(values: Iterable<number | null>): number | null {
  let min: number | null = null;
  for (const value of values) if (value !== null && (min === null || value < min)) min = value;
  return min;
}
