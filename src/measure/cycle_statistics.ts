/** A metric across the cycles of one config: n, mean, sample standard deviation and a 95% CI of the mean. */
export interface CycleStatistics {
  /** Values that were not null. */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1); null for n < 2. */
  std: number | null;
  /** t(0.975, n − 1) · std / √n; null for n < 2. */
  ci95HalfWidth: number | null;
  ci95Low: number | null;
  ci95High: number | null;
}

/** Two-sided 95% quantiles t(0.975, df) of Student's t for df = 1..30. */
export const T_975_TABLE: readonly number[] = [
  12.706204736,
  4.302652730,
  3.182446305,
  2.776445105,
  2.570581836,
  2.446911851,
  2.364624252,
  2.306004135,
  2.262157163,
  2.228138852,
  2.200985160,
  2.178812830,
  2.160368656,
  2.144786688,
  2.131449546,
  2.119905299,
  2.109815578,
  2.100922040,
  2.093024054,
  2.085963447,
  2.079613845,
  2.073873068,
  2.068657610,
  2.063898562,
  2.059538553,
  2.055529439,
  2.051830516,
  2.048407142,
  2.045229642,
  2.042272456,
];

/** t(0.975, df): the table up to 30, then the Cornish-Fisher expansion around the normal quantile. */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be at least 1, got ${df}`);
  const tabled = T_975_TABLE[Math.round(df) - 1];
  if (tabled !== undefined) return tabled;
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/**
 * Mean, sample standard deviation and the 95% confidence interval of the mean (Student's t with n − 1
 * degrees of freedom, right for the few cycles a study runs) of any list of numbers; nulls are skipped.
 */
export function cycleStatistics(values: readonly (number | null)[]): CycleStatistics {
  const present = values.filter((v): v is number => v !== null);
  const n = present.length;
  if (n === 0) return { n, mean: null, std: null, ci95HalfWidth: null, ci95Low: null, ci95High: null };
  const mean = present.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: null, ci95HalfWidth: null, ci95Low: null, ci95High: null };
  const std = Math.sqrt(present.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = studentT975(n - 1) * std / Math.sqrt(n);
  return { n, mean, std, ci95HalfWidth: half, ci95Low: mean - half, ci95High: mean + half };
}
