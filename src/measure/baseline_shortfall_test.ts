import assert from "node:assert/strict";
import { baselineShortfall } from "./baseline_shortfall.ts";

const at = (times: number[]) => times.map((timeSeconds) => ({ timeSeconds }));
const every = (n: number, interval: number, from = 0) =>
  at(Array.from({ length: n }, (_, i) => from + i * interval));

Deno.test("baselineShortfall() accepts samples that fall up to three intervals short of the plan", () => {
  // A 5 s baseline at 100 ms: rounds from 0.1 s to 5.0 s span 4.9 s.
  assert.equal(baselineShortfall(every(50, 0.1, 0.1), 5), null);
  // 4.7 s of samples plus three 100 ms intervals reach 5 s exactly.
  assert.equal(baselineShortfall(every(48, 0.1), 5), null);
});

Deno.test("baselineShortfall() names a baseline cut short, and one with fewer than two samples", () => {
  assert.equal(baselineShortfall(every(47, 0.1), 5), "its samples cover 4.60 s of the 5 s planned");
  assert.equal(baselineShortfall(every(8, 0.12 / 7), 5), "its samples cover 0.12 s of the 5 s planned");
  assert.equal(baselineShortfall(at([3]), 5), "only 1 sample(s), which show no duration");
  assert.equal(baselineShortfall([], 5), "only 0 sample(s), which show no duration");
});

Deno.test("baselineShortfall() takes the median interval, so a gap does not widen the allowance", () => {
  // 100 ms rounds with one 2 s hole: the allowance stays 0.3 s.
  const samples = at([...every(10, 0.1).map((s) => s.timeSeconds), 2.9, 3.0, 3.1, 3.2, 3.3, 3.4]);
  assert.equal(baselineShortfall(samples, 5), "its samples cover 3.40 s of the 5 s planned");
});
