import assert from "node:assert/strict";
import { throttleSummary } from "./throttle_summary.ts";

const at = (timeSeconds: number, reasons: number | null, temperatureCelsius: number | null = 50) => ({
  timeSeconds,
  clockEventReasons: reasons === null ? null : BigInt(reasons),
  temperatureCelsius,
});

Deno.test("throttleSummary() times each reason with sample-and-hold, first and last seen", () => {
  const samples = [at(0, 0), at(1, 0x40), at(2, 0x44), at(3, 0x4), at(4, 0), at(5, 0x80)];
  const summary = throttleSummary(samples, 0, 6);
  assert.equal(summary.throttled, true);
  assert.deepEqual(summary.reasons, {
    thermal_hardware: { durationSeconds: 2, firstSeconds: 1, lastSeconds: 2 },
    power_cap: { durationSeconds: 2, firstSeconds: 2, lastSeconds: 3 },
    power_brake: { durationSeconds: 1, firstSeconds: 5, lastSeconds: 5 },
  });
});

Deno.test("throttleSummary() ignores idle and samples outside the window", () => {
  const summary = throttleSummary([at(0, 0x40), at(1, 0x1), at(2, 0x1), at(9, 0x20)], 1, 3);
  assert.equal(summary.throttled, false);
  assert.deepEqual(summary.reasons, {});
});

Deno.test("throttleSummary() reports start, end and peak temperature", () => {
  const summary = throttleSummary([at(0, 0, 40), at(1, 0, 71), at(2, null, null), at(3, 0, 65)], 0, 3);
  assert.equal(summary.temperatureStartCelsius, 40);
  assert.equal(summary.temperatureEndCelsius, 65);
  assert.equal(summary.temperatureMaxCelsius, 71);
  assert.equal(throttleSummary([], 0, 1).temperatureMaxCelsius, null);
});
