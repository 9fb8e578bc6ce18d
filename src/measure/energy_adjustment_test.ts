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
