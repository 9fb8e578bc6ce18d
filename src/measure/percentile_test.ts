import assert from "node:assert/strict";
import { percentile, percentiles } from "./percentile.ts";

Deno.test("percentile() interpolates linearly between closest ranks (NumPy's default)", () => {
  const values = [15, 20, 35, 40, 50];
  // numpy.percentile([15, 20, 35, 40, 50], [0, 25, 40, 50, 90, 100]) = [15, 20, 29, 35, 46, 50]
  assert.deepEqual(percentiles(values, [0, 25, 40, 50, 90, 100]), [15, 20, 29, 35, 46, 50]);
  assert.equal(percentile([3, 1, 2], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
});

Deno.test("percentile() does not depend on input order and leaves the input untouched", () => {
  const values = [9, 1, 5, 3, 7];
  assert.equal(percentile(values, 75), 7);
  assert.deepEqual(values, [9, 1, 5, 3, 7]);
});

Deno.test("percentile() of one value is that value; of none is null", () => {
  assert.equal(percentile([4.5], 99), 4.5);
  assert.equal(percentile([], 50), null);
  assert.deepEqual(percentiles([], [50, 95]), [null, null]);
});

Deno.test("percentile() refuses a p outside 0-100 and NaN values", () => {
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
  assert.throws(() => percentile([1, Number.NaN], 50), /NaN/);
});

Deno.test("percentile() sorts numerically, not as strings", () => {
  assert.equal(percentile([10, 9, 100], 0), 9);
  assert.equal(percentile([10, 9, 100], 100), 100);
});
