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
  if (a.length === 0 || b.length === 0) return none;
  const [ma, mb] = [mean(a), mean(b)];
  const ratio = mb !== 0 ? ma / mb : null;
  const difference = ma - mb;
  if (a.length < 2 || b.length < 2) return { ...none, ratio, difference };
  const [va, vb] = [variance(a, ma) / a.length, variance(b, mb) / b.length];
  const se = Math.sqrt(va + vb);
  if (se === 0) return { ratio, difference, ci95_low: difference, ci95_high: difference, df: null };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const half = studentTQuantile(0.975, df) * se;
  return { ratio, difference, ci95_low: difference - half, ci95_high: difference + half, df };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function variance(values: readonly number[], center: number): number {
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
}
