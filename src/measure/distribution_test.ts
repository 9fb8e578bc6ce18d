import assert from "node:assert/strict";
import { distribution } from "./distribution.ts";

Deno.test("distribution() gives count, mean, percentiles and extremes", () => {
  const values = Array.from({ length: 101 }, (_, i) => 100 - i); // 100 down to 0
  const d = distribution(values)!;
  assert.equal(d.count, 101);
  assert.equal(d.mean, 50);
  assert.equal(d.median, 50);
  assert.equal(d.p90, 90);
  assert.equal(d.p95, 95);
  assert.equal(d.p99, 99);
  assert.equal(d.min, 0);
  assert.equal(d.max, 100);
});

Deno.test("distribution() of nothing is null", () => {
  assert.equal(distribution([]), null);
});
