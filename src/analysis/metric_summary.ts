import { cycleStatistics } from "../measure/cycle_statistics.ts";
import { percentiles } from "../measure/percentile.ts";

/** One metric across the completed cycles of one experiment. */
export interface MetricSummary {
  /** Cycles with a value. */
  n: number;
  mean: number | null;
  /** Sample standard deviation; null for n < 2. */
  std: number | null;
  /** 95% confidence interval of the mean (Student's t, n − 1 degrees of freedom); null for n < 2. */
  ci95_low: number | null;
  ci95_high: number | null;
  median: number | null;
  /** Quartiles (linear interpolation, NumPy's default); their difference is the IQR. */
  q1: number | null;
  q3: number | null;
  /** Coefficient of variation, std / |mean|; null for n < 2 or a mean of 0. */
  cv: number | null;
}

/** Mean, spread, 95% CI, median, quartiles and CV of a metric's values across cycles (nulls skipped). */
export function metricSummary(values: readonly (number | null)[]): MetricSummary {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value));
  const stats = cycleStatistics(present);
  const [q1, median, q3] = percentiles(present, [25, 50, 75]);
  return {
    n: stats.n,
    mean: stats.mean,
    std: stats.std,
    ci95_low: stats.ci95Low,
    ci95_high: stats.ci95High,
    median: median ?? null,
    q1: q1 ?? null,
    q3: q3 ?? null,
    cv: stats.std !== null && stats.mean ? stats.std / Math.abs(stats.mean) : null,
  };
}
