import assert from "node:assert/strict";
import { metricSummary } from "./metric_summary.ts";

Deno.test("metricSummary() gives the mean, the 95% CI by Student's t, the median, quartiles and the CV", () => {
  // 100, 110, 120: mean 110, std 10, t(0.975, 2) = 4.302652730 → half-width 4.302652730 × 10 / √3.
  const summary = metricSummary([110, null, 100, 120]);
  assert.equal(summary.n, 3);
  assert.equal(summary.mean, 110);
  assert.equal(summary.std, 10);
  const half = 4.30265273 * 10 / Math.sqrt(3);
  assert.ok(
    Math.abs(summary.ci95_low! - (110 - half)) < 1e-6 && Math.abs(summary.ci95_high! - (110 + half)) < 1e-6,
  );
  assert.deepEqual([summary.q1, summary.median, summary.q3], [105, 110, 115]);
  assert.ok(Math.abs(summary.cv! - 10 / 110) < 1e-12);
});

Deno.test("metricSummary() of one cycle has a mean but no spread; of none, nothing", () => {
  const one = metricSummary([42]);
  assert.deepEqual([one.n, one.mean, one.std, one.ci95_low, one.cv, one.median], [
    1,
    42,
    null,
    null,
    null,
    42,
  ]);
  const none = metricSummary([null, NaN]);
  assert.deepEqual([none.n, none.mean, none.median, none.cv], [0, null, null, null]);
});
