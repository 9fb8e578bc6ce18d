import assert from "node:assert/strict";
import { energyAdjustment } from "./energy_adjustment.ts";

Deno.test("energyAdjustment() subtracts baseline power times duration", () => {
  assert.deepEqual(energyAdjustment(1000, { baselinePowerWatts: 60, durationSeconds: 10 }), {
    adjustedJoules: 400,
    baselineJoules: 600,
    floored: false,
    warnings: [],
  });
});

Deno.test("energyAdjustment() floors a negative result at 0 with a warning", () => {
  const result = energyAdjustment(500, { baselinePowerWatts: 60, durationSeconds: 10 });
  assert.equal(result.adjustedJoules, 0);
  assert.equal(result.floored, true);
  assert.match(result.warnings[0]!, /would be negative \(500\.000 J measured, 600\.000 J idle/);
});

Deno.test("energyAdjustment() is null without a baseline", () => {
  const result = energyAdjustment(500, { baselinePowerWatts: null, durationSeconds: 10 });
  assert.equal(result.adjustedJoules, null);
  assert.equal(result.baselineJoules, null);
  assert.deepEqual(result.warnings, []);
});

Deno.test("energyAdjustment() floors a deficit within the counter's resolution without calling the baseline stale", () => {
  // The GPUs drew their idle power throughout: a deficit of 0.4 mJ is rounding, not a stale baseline.
  const noise = energyAdjustment(59.9996, { baselinePowerWatts: 60, durationSeconds: 1 });
  assert.equal(noise.adjustedJoules, 0);
  assert.equal(noise.floored, true);
  assert.deepEqual(noise.warnings, []);
  // 100 W over 2 s: one 100 ms counter update is 10 J (plus 2 mJ at the edges); a 10 J deficit is within it.
  const step = energyAdjustment(200, { baselinePowerWatts: 105, durationSeconds: 2 });
  assert.equal(step.floored, true);
  assert.deepEqual(step.warnings, []);
});

Deno.test("energyAdjustment() warns once the deficit exceeds one counter update of the window's power", () => {
  // 100 W over 2 s with a 106 W baseline: a 12 J deficit, beyond the 10.002 J resolution.
  const stale = energyAdjustment(200, { baselinePowerWatts: 106, durationSeconds: 2 });
  assert.equal(stale.floored, true);
  assert.equal(stale.warnings.length, 1);
  assert.match(stale.warnings[0]!, /more than the energy counter's resolution \(10\.002 J\)/);
  // A known, shorter update period narrows the resolution.
  const known = energyAdjustment(200, {
    baselinePowerWatts: 102.5,
    durationSeconds: 2,
    counterUpdatePeriodSeconds: 0.02,
  });
  assert.match(known.warnings[0]!, /more than the energy counter's resolution \(2\.002 J\)/);
});
