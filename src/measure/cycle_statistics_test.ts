import assert from "node:assert/strict";
import { cycleStatistics, studentT975 } from "./cycle_statistics.ts";

const close = (a: number | null, b: number, tolerance = 1e-6) =>
  assert.ok(a !== null && Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

Deno.test("cycleStatistics() gives mean, sample std and a Student-t 95% CI", () => {
  // scipy.stats.t.interval(0.95, 4, loc=mean, scale=sem) for [10, 12, 11, 13, 14]: (10.036757, 13.963243)
  const stats = cycleStatistics([10, 12, 11, 13, 14]);
  assert.equal(stats.n, 5);
  assert.equal(stats.mean, 12);
  close(stats.std, Math.sqrt(2.5));
  close(stats.ci95Low, 10.036757, 1e-5);
  close(stats.ci95High, 13.963243, 1e-5);
});

Deno.test("cycleStatistics() skips nulls and has no spread for fewer than two values", () => {
  const one = cycleStatistics([null, 7, null]);
  assert.deepEqual(one, { n: 1, mean: 7, std: null, ci95HalfWidth: null, ci95Low: null, ci95High: null });
  assert.equal(cycleStatistics([]).mean, null);
  assert.equal(cycleStatistics([null]).n, 0);
  const two = cycleStatistics([1, null, 3]);
  assert.equal(two.n, 2);
  // std of [1, 3] is √2, so the half-width is t(0.975, 1) · √2 / √2.
  close(two.ci95HalfWidth, 12.706204736);
});

Deno.test("studentT975() follows the t table, then converges on the normal quantile", () => {
  close(studentT975(1), 12.7062, 1e-4);
  close(studentT975(10), 2.2281, 1e-4);
  close(studentT975(31), 2.039513, 1e-5);
  close(studentT975(40), 2.021075, 1e-5);
  close(studentT975(120), 1.979930, 1e-5);
  close(studentT975(1e9), 1.959964, 1e-6);
  assert.throws(() => studentT975(0), RangeError);
});
