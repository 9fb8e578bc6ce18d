import { percentiles } from "./percentile.ts";

/** Summary of a sample of values, in the values' unit; percentiles by linear interpolation (percentile.ts). */
export interface Distribution {
  count: number;
  mean: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Mean, median, p90/p95/p99, min and max of `values`; null when there are none. */
export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const [median, p90, p95, p99, min, max] = percentiles(values, [50, 90, 95, 99, 0, 100]) as number[];
  let sum = 0;
  for (const v of values) sum += v;
  return {
    count: values.length,
    mean: sum / values.length,
    median: median!,
    p90: p90!,
    p95: p95!,
    p99: p99!,
    min: min!,
    max: max!,
  };
}
