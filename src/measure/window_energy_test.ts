import assert from "node:assert/strict";
import { counterEnergy } from "./counter_energy.ts";
import { integratePower, type PowerSample } from "./integrate_power.ts";
import { windowEnergy } from "./window_energy.ts";

const close = (a: number | null, b: number, tolerance = 1e-9) =>
  assert.ok(a !== null && Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

function samplesOf(
  power: (t: number) => number,
  from: number,
  to: number,
  stepSeconds: number,
): PowerSample[] {
  const count = Math.round((to - from) / stepSeconds);
  return Array.from({ length: count + 1 }, (_, i) => {
    const t = i === count ? to : from + i * stepSeconds;
    return { timeSeconds: t, powerWatts: power(t) };
  });
}

Deno.test("counterEnergy() is the difference of the edge reads", () => {
  const result = counterEnergy({ timeSeconds: 10, energyJoules: 5000 }, {
    timeSeconds: 12,
    energyJoules: 5300.5,
  });
  assert.deepEqual(result, { energyJoules: 300.5, durationSeconds: 2, reason: null, warnings: [] });
});

Deno.test("counterEnergy() gives null with a reason when the counter went backwards", () => {
  const result = counterEnergy({ timeSeconds: 0, energyJoules: 900 }, { timeSeconds: 5, energyJoules: 12 });
  assert.equal(result.energyJoules, null);
  assert.match(result.reason!, /went backwards by 888\.000 J/);
});

Deno.test("counterEnergy() warns for windows shorter than ten counter updates", () => {
  const short = counterEnergy({ timeSeconds: 0, energyJoules: 0 }, { timeSeconds: 0.5, energyJoules: 50 }, {
    updatePeriodSeconds: 0.1,
  });
  assert.equal(short.warnings.length, 1);
  assert.match(
    short.warnings[0]!,
    /fewer than 10 energy counter updates \(100 ms each\): expect up to 20\.0% error/,
  );
  const long = counterEnergy({ timeSeconds: 0, energyJoules: 0 }, { timeSeconds: 1, energyJoules: 50 }, {
    updatePeriodSeconds: 0.1,
  });
  assert.deepEqual(long.warnings, []);
});

Deno.test("counterEnergy() refuses an empty window", () => {
  assert.equal(
    counterEnergy({ timeSeconds: 3, energyJoules: 1 }, { timeSeconds: 3, energyJoules: 1 }).energyJoules,
    null,
  );
});

Deno.test("integratePower() is exact for piecewise-linear power sampled at its corners", () => {
  const samples = [
    { timeSeconds: 0, powerWatts: 100 },
    { timeSeconds: 1, powerWatts: 300 },
    { timeSeconds: 3, powerWatts: 300 },
  ];
  close(integratePower(samples, 0, 3).energyJoules, 200 + 600);
  // Edges inside segments are interpolated: [0.5, 2] = 0.5*(200+300)/2 + 1*300.
  close(integratePower(samples, 0.5, 2).energyJoules, 125 + 300);
});

Deno.test("integratePower() converges on a smooth trace as sampling gets finer", () => {
  const power = (t: number) => 200 + 100 * Math.sin(t);
  const exact = 200 * 5 + 100 * (1 - Math.cos(5));
  const coarse = Math.abs(integratePower(samplesOf(power, 0, 5, 0.5), 0, 5).energyJoules! - exact);
  const fine = Math.abs(integratePower(samplesOf(power, 0, 5, 0.01), 0, 5).energyJoules! - exact);
  assert.ok(fine < coarse / 100, `${fine} vs ${coarse}`);
  assert.ok(fine / exact < 1e-5);
});

Deno.test("integratePower() will not extrapolate beyond the samples", () => {
  const samples = [{ timeSeconds: 1, powerWatts: 100 }, { timeSeconds: 2, powerWatts: 100 }];
  assert.equal(integratePower(samples, 0.5, 2).energyJoules, null);
  assert.equal(integratePower(samples, 1, 2.5).energyJoules, null);
  assert.equal(integratePower([], 0, 1).reason, "power samples do not cover the whole slice");
});

Deno.test("windowEnergy() prefers the counter, keeps both figures and their disagreement", () => {
  const result = windowEnergy({
    startSeconds: 0,
    endSeconds: 10,
    counterStart: { timeSeconds: 0, energyJoules: 1000 },
    counterEnd: { timeSeconds: 10, energyJoules: 3000 },
    powerSamples: samplesOf(() => 205, 0, 10, 0.1),
  });
  assert.equal(result.method, "nvml_energy_counter");
  assert.equal(result.energyJoules, 2000);
  close(result.integratedEnergyJoules, 2050, 1e-6);
  close(result.disagreementFraction, 0.025, 1e-9);
  assert.deepEqual(result.warnings, []);
});

Deno.test("windowEnergy() warns when the methods disagree beyond 5%", () => {
  const result = windowEnergy({
    startSeconds: 0,
    endSeconds: 10,
    counterStart: { timeSeconds: 0, energyJoules: 0 },
    counterEnd: { timeSeconds: 10, energyJoules: 2000 },
    powerSamples: samplesOf(() => 300, 0, 10, 0.1),
  });
  assert.equal(result.energyJoules, 2000);
  assert.ok(result.warnings.some((w) => /disagree by 50\.0%/.test(w)), result.warnings.join("; "));
});

Deno.test("windowEnergy() falls back to integrated power and says so", () => {
  const result = windowEnergy({
    startSeconds: 0,
    endSeconds: 2,
    powerSamples: samplesOf(() => 50, 0, 2, 0.1),
  });
  assert.equal(result.method, "power_integration");
  close(result.energyJoules, 100, 1e-9);
  assert.ok(result.warnings.some((w) => /no energy counter/.test(w)));
});

Deno.test("windowEnergy() says the config chose integrated power, never that the GPU has no counter", () => {
  const chosen = windowEnergy({
    startSeconds: 0,
    endSeconds: 2,
    powerSamples: samplesOf(() => 50, 0, 2, 0.1),
    integrationChosen: true,
  });
  assert.equal(chosen.method, "power_integration");
  assert.deepEqual(chosen.warnings, [
    "energy from integrated power samples, as measurement.energy_source: power asks",
  ]);
  const nothing = windowEnergy({ startSeconds: 0, endSeconds: 2, integrationChosen: true });
  assert.equal(nothing.energyJoules, null);
  assert.deepEqual(nothing.warnings, [
    "no energy for this window: measurement.energy_source: power does not read the energy counter; " +
    "power samples do not cover the whole slice",
  ]);
});

Deno.test("windowEnergy() falls back to integrated power when the counter went backwards", () => {
  const result = windowEnergy({
    startSeconds: 0,
    endSeconds: 2,
    counterStart: { timeSeconds: 0, energyJoules: 500 },
    counterEnd: { timeSeconds: 2, energyJoules: 3 },
    powerSamples: samplesOf(() => 50, 0, 2, 0.1),
  });
  assert.equal(result.method, "power_integration");
  assert.ok(result.warnings.some((w) => /went backwards/.test(w)));
});

Deno.test("windowEnergy() returns null with a reason, never zero, when nothing measures energy", () => {
  const result = windowEnergy({ startSeconds: 0, endSeconds: 2 });
  assert.equal(result.energyJoules, null);
  assert.equal(result.method, null);
  assert.match(result.warnings.at(-1)!, /^no energy for this window/);
});

Deno.test("windowEnergy() warns about few samples in the window", () => {
  const result = windowEnergy({
    startSeconds: 0,
    endSeconds: 2,
    powerSamples: samplesOf(() => 50, 0, 2, 0.5),
  });
  assert.ok(result.warnings.some((w) => /only 3 power samples/.test(w)), result.warnings.join("; "));
});
