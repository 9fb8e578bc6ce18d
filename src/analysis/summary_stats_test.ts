import assert from "node:assert/strict";
import { summaryStats } from "./summary_stats.ts";

Deno.test("summaryStats() takes the mean, the median and Python's exclusive quantiles, as LLMeter does", () => {
  // Python 3: quantiles(range(1, 11), n=10)[8] == 9.9; quantiles(..., n=100)[98] == 10.89 (the exclusive
  // method places ranks at i * (n + 1) / 100 and extrapolates past the largest value).
  const stats = summaryStats([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
  assert.deepEqual(Object.keys(stats), ["average", "p50", "p90", "p99"]);
  assert.equal(stats.average, 5.5);
  assert.equal(stats.p50, 5.5);
  assert.ok(Math.abs(stats.p90! - 9.9) < 1e-12, `${stats.p90}`);
  assert.ok(Math.abs(stats.p99! - 10.89) < 1e-12, `${stats.p99}`);
  // quantiles([0.25, 0.5], n=10)[8] == 0.675; n=100: 0.7425; an odd count's median is its middle.
  const two = summaryStats([0.5, 0.25]);
  assert.ok(Math.abs(two.p90! - 0.675) < 1e-12 && Math.abs(two.p99! - 0.7425) < 1e-12);
  assert.equal(summaryStats([3, 1, 2]).p50, 2);
});

Deno.test("summaryStats() gives one value as every percentile, drops NaN, and has nothing for no values", () => {
  assert.deepEqual(summaryStats([0.3]), { average: 0.3, p50: 0.3, p90: 0.3, p99: 0.3 });
  assert.deepEqual(summaryStats([NaN, 2, NaN, 4]).average, 3);
  assert.deepEqual(summaryStats([]), {});
  assert.deepEqual(summaryStats([NaN]), {});
  assert.equal(summaryStats([1, 2, 3, 4, 5], [25]).p25, 1.5, "quartiles use n = 4");
  assert.throws(() => summaryStats([1, 2], [12.5]), /whole number/);
});
