import assert from "node:assert/strict";
import { welchDifference } from "./welch_difference.ts";

Deno.test("welchDifference() gives the difference of means with Welch's 95% CI, and the ratio", () => {
  // Equal variances and sizes: df = 2(n − 1) = 4 exactly; se = √(1/3 + 1/3); t(0.975, 4) = 2.776445105.
  const equal = welchDifference([1, 2, 3], [4, 5, 6]);
  assert.equal(equal.difference, -3);
  assert.equal(equal.ratio, 0.4);
  assert.ok(Math.abs(equal.df! - 4) < 1e-12);
  const half = 2.776445105 * Math.sqrt(2 / 3);
  assert.ok(
    Math.abs(equal.ci95_low! - (-3 - half)) < 1e-9 && Math.abs(equal.ci95_high! - (-3 + half)) < 1e-9,
  );
  // Unequal variances: s² 100 and 25 over 3 each give df = 2.941.
  const unequal = welchDifference([100, 110, 120], [90, 95, 100]);
  assert.ok(Math.abs(unequal.df! - 2.9412) < 1e-4, `${unequal.df}`);
});

Deno.test("welchDifference() with one value a side has a ratio and a difference but no interval", () => {
  const one = welchDifference([10], [8, 9]);
  assert.deepEqual([one.ratio, one.difference, one.ci95_low, one.df], [10 / 8.5, 1.5, null, null]);
  assert.equal(welchDifference([], [1]).ratio, null);
  assert.equal(welchDifference([1, 2], [0, 0]).ratio, null, "no ratio to a zero mean");
});
