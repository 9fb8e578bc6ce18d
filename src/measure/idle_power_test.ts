import assert from "node:assert/strict";
import { baselineStillValid, idlePower } from "./idle_power.ts";

const series = (n: number, power: (i: number) => number, energyPerSecond: number | null, utilization = 0) =>
  Array.from({ length: n }, (_, i) => ({
    timeSeconds: 100 + i * 0.1,
    powerWatts: power(i),
    energyJoules: energyPerSecond === null ? null : 5000 + energyPerSecond * i * 0.1,
    utilizationGpuPercent: utilization,
  }));

Deno.test("idlePower() takes the energy counter's slope and keeps the sample mean beside it", () => {
  const result = idlePower(series(51, (i) => (i % 2 ? 60 : 64), 61));
  assert.equal(result.method, "energy_counter");
  assert.ok(Math.abs(result.powerWatts! - 61) < 1e-9);
  assert.ok(Math.abs(result.samplesMeanWatts! - (26 * 64 + 25 * 60) / 51) < 1e-9);
  assert.ok(result.samplesStdWatts! > 1.9 && result.samplesStdWatts! < 2.1);
  assert.ok(Math.abs(result.durationSeconds - 5) < 1e-9);
  assert.deepEqual(result.warnings, []);
});

Deno.test("idlePower() falls back to the sample mean without a counter", () => {
  const result = idlePower(series(20, () => 42, null));
  assert.equal(result.method, "mean_power_samples");
  assert.equal(result.powerWatts, 42);
});

Deno.test("idlePower() reports a GPU that was not idle, a counter reset and too few samples", () => {
  assert.match(idlePower(series(20, () => 300, 300, 87)).warnings.join(";"), /not idle .* 87%/);
  const reset = series(20, () => 50, 50);
  reset[10]!.energyJoules = 1;
  reset.forEach((s, i) => i > 10 && (s.energyJoules = 1 + (i - 10) * 5));
  const result = idlePower(reset);
  assert.match(result.warnings.join(";"), /went backwards/);
  assert.equal(result.method, "mean_power_samples");
  assert.match(idlePower(series(3, () => 50, 50)).warnings.join(";"), /only 3 samples/);
});

Deno.test("idlePower() is null with a warning when nothing was read", () => {
  const result = idlePower([{
    timeSeconds: 0,
    powerWatts: null,
    energyJoules: null,
    utilizationGpuPercent: null,
  }]);
  assert.equal(result.powerWatts, null);
  assert.match(result.warnings.join(";"), /idle power unknown/);
});

Deno.test("baselineStillValid() accepts drift within the threshold only", () => {
  assert.equal(baselineStillValid(60, 65.9, 0.1), true);
  assert.equal(baselineStillValid(60, 66.1, 0.1), false);
  assert.equal(baselineStillValid(60, 53.9, 0.1), false);
  assert.equal(baselineStillValid(0, 0, 0.1), false);
});
