import assert from "node:assert/strict";
import { mulberry32 } from "../config/order_runs.ts";
import { detectSteadyOnset, detectSteadyOnsetAll, type OnsetSample } from "./detect_steady_onset.ts";

/** Readings every 0.1 s over `seconds`, power from `watts(t)`. */
function trace(seconds: number, watts: (t: number) => number | null): OnsetSample[] {
  return Array.from({ length: Math.round(seconds * 10) }, (_, i) => ({
    timeSeconds: i / 10,
    powerWatts: watts(i / 10),
  }));
}

Deno.test("detectSteadyOnset() finds no ramp in a trace that is steady from the start", () => {
  const found = detectSteadyOnset(trace(10, () => 300), 10);
  assert.deepEqual(found, { detected: true, onsetSeconds: 0, referenceWatts: 300, toleranceWatts: 15 });
});

Deno.test("detectSteadyOnset() puts the onset of a step at the step, to the reading", () => {
  const found = detectSteadyOnset(trace(10, (t) => (t < 2 ? 70 : 300)), 10);
  assert.ok(found.detected);
  assert.equal(found.onsetSeconds, 2);
});

Deno.test("detectSteadyOnset() puts an exponential ramp's onset where it comes within 5% of its level", () => {
  // 300 - 230 e^(-t/0.5) is within 15 W (5%) of 300 W from t = 0.5 ln(230/15) = 1.36 s; a 5-reading
  // window mean gets there a little later.
  const found = detectSteadyOnset(trace(10, (t) => 300 - 230 * Math.exp(-t / 0.5)), 10);
  assert.ok(found.detected);
  assert.ok(found.onsetSeconds >= 1.3 && found.onsetSeconds <= 1.8, `${found.onsetSeconds}`);
});

Deno.test("detectSteadyOnset() widens the band for a noisy level, so noise is not taken for a ramp", () => {
  const random = mulberry32(7);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const found = detectSteadyOnset(trace(20, (t) => (t < 3 ? 80 : 300 + 40 * gaussian())), 20);
  assert.ok(found.detected);
  assert.ok(found.onsetSeconds >= 3 && found.onsetSeconds < 4, `${found.onsetSeconds}`);
  assert.ok(found.toleranceWatts > 15, "3 sd / sqrt(w) exceeds the 5% floor for this noise");
});

Deno.test("detectSteadyOnset() refuses a trace that never settles, or a late step", () => {
  const climbing = detectSteadyOnset(trace(10, (t) => 100 + 30 * t), 10);
  assert.equal(climbing.detected, false);
  assert.match(climbing.detected ? "" : climbing.reason, /second half/);
  assert.equal(detectSteadyOnset(trace(10, (t) => (t < 6 ? 70 : 300)), 10).detected, false);
});

Deno.test("detectSteadyOnset() needs enough readings with power, inside the window", () => {
  const few = detectSteadyOnset(trace(1.5, () => 300), 1.5);
  assert.deepEqual(few, {
    detected: false,
    reason: "15 power readings in the window; detection needs at least 20",
  });
  assert.equal(detectSteadyOnset(trace(10, (t) => (t < 9 ? null : 300)), 10).detected, false);
  // Readings outside the window do not count.
  assert.equal(detectSteadyOnset(trace(10, () => 300), 1).detected, false);
});

Deno.test("detectSteadyOnsetAll() takes the latest GPU's onset, and fails when one GPU has none", () => {
  const early = trace(10, (t) => (t < 1 ? 70 : 300));
  const late = trace(10, (t) => (t < 3 ? 70 : 300));
  assert.deepEqual(detectSteadyOnsetAll([early, late], 10), { onsetSeconds: 3 });
  const result = detectSteadyOnsetAll([early, trace(10, (t) => 100 + 30 * t)], 10);
  assert.ok("reason" in result);
  assert.match(result.reason, /^GPU #1: /);
});
