import { cycleStatistics } from "../measure/cycle_statistics.ts";
import { studentTQuantile } from "./student_t.ts";

/** The difference of two means with its 95% CI by Welch's t (unequal variances), and their ratio. */
export interface MeanComparison {
  /** mean(a) / mean(b); null when mean(b) is 0 or either side has no values. */
  ratio: number | null;
  /** mean(a) − mean(b). */
  difference: number | null;
  /** 95% CI of the difference; null unless both sides have two or more values. */
  ci95_low: number | null;
  ci95_high: number | null;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number | null;
}

/**
 * Compare `a` with `b` (a study against its baseline): the ratio of means, and the difference with its
 * 95% confidence interval by Welch's t-test: se = √(s²a/na + s²b/nb), df by Welch–Satterthwaite (fractional),
 * and Student's t quantile at that df.
 */
export function welchDifference(a: readonly number[], b: readonly number[]): MeanComparison {
  const none = { ratio: null, difference: null, ci95_low: null, ci95_high: null, df: null };
  const [sa, sb] = [cycleStatistics(a), cycleStatistics(b)];
  if (sa.mean === null || sb.mean === null) return none;
  const ratio = sb.mean !== 0 ? sa.mean / sb.mean : null;
  const difference = sa.mean - sb.mean;
  if (sa.std === null || sb.std === null) return { ...none, ratio, difference };
  // Each mean's squared standard error.
  const [va, vb] = [sa.std ** 2 / sa.n, sb.std ** 2 / sb.n];
  const se = Math.sqrt(va + vb);
  if (se === 0) return { ratio, difference, ci95_low: difference, ci95_high: difference, df: null };
  const df = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1));
  const half = studentTQuantile(0.975, df) * se;
  return { ratio, difference, ci95_low: difference - half, ci95_high: difference + half, df };
}
