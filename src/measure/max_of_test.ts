import assert from "node:assert/strict";
import { maxOf, minOf } from "./max_of.ts";

Deno.test("maxOf() and minOf() skip nulls and give null for no numbers", () => {
  assert.equal(maxOf([3, null, 7, -1]), 7);
  assert.equal(minOf([3, null, 7, -1]), -1);
  assert.equal(maxOf([]), null);
  assert.equal(minOf([null]), null);
});

Deno.test("maxOf() and minOf() take a million values, where Math.max(...values) overflows the stack", () => {
  const values = Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i) * i);
  assert.throws(() => Math.max(...values), RangeError);
  assert.equal(maxOf(values), values.reduce((a, b) => (b > a ? b : a)));
  assert.equal(minOf(values), values.reduce((a, b) => (b < a ? b : a)));
});
