import assert from "node:assert/strict";
import { sliceEnergy, type SliceSample } from "./slice_energy.ts";

const close = (a: number | null, b: number, tolerance = 1e-9) =>
  assert.ok(a !== null && Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

/** Samples every `step` s over [from, to] of a GPU drawing `power(t)` W, counter starting at 1000 J. */
function trace(power: (t: number) => number, from: number, to: number, step: number): SliceSample[] {
  const samples: SliceSample[] = [];
  let energy = 1000;
  for (let t = from; t <= to + 1e-9; t += step) {
    if (samples.length) energy += (power(t) + power(t - step)) / 2 * step;
    samples.push({ timeSeconds: t, energyJoules: energy, powerWatts: power(t) });
  }
  return samples;
}

const base = { windowStartSeconds: 0, windowEndSeconds: 10, toleranceSeconds: 0.1 };

/** Counter-only samples from [time, joules] pairs. */
const counterOnly = (pairs: [number, number][]): SliceSample[] =>
  pairs.map(([timeSeconds, energyJoules]) => ({ timeSeconds, energyJoules, powerWatts: null }));

/** The whole of a window of `windowEndSeconds` as the slice, measured from samples alone. */
const wholeFromSamples = (windowEndSeconds: number) => ({
  ...base,
  windowEndSeconds,
  startSeconds: 0,
  endSeconds: windowEndSeconds,
  windowEnergyJoules: null,
});

Deno.test("sliceEnergy() is the window's figure less the sampled lead-in", () => {
  // 100 W for the first 2 s, then 300 W; samples from before the window to after it.
  const samples = trace((t) => (t < 2 ? 100 : 300), -1, 11, 0.1);
  const result = sliceEnergy(samples, { ...base, startSeconds: 2, endSeconds: 10, windowEnergyJoules: 2600 });
  assert.equal(result.basis, "window_minus_edges");
  assert.equal(result.edgeSource, "energy_counter_samples");
  // The counter samples put ≈ 200 J (+ one 0.1 s ramp step) in [0, 2]: 2600 − 210 = 2390.
  close(result.energyJoules, 2390, 1e-6);
});

Deno.test("sliceEnergy() interpolates the counter between samples at the slice's edges", () => {
  const samples: SliceSample[] = [
    { timeSeconds: 0, energyJoules: 0, powerWatts: 100 },
    { timeSeconds: 1, energyJoules: 100, powerWatts: 100 },
    { timeSeconds: 3, energyJoules: 500, powerWatts: 200 },
  ];
  const result = sliceEnergy(samples, {
    ...base,
    windowEndSeconds: 3,
    startSeconds: 0.5,
    endSeconds: 2,
    windowEnergyJoules: 500,
  });
  // Lead [0, 0.5] = 50 J; trail [2, 3] = 500 − 300 = 200 J.
  close(result.energyJoules, 250);
});

Deno.test("sliceEnergy() is the window's own figure when the slice is the window", () => {
  const result = sliceEnergy([], { ...base, startSeconds: 0, endSeconds: 10, windowEnergyJoules: 1234 });
  assert.equal(result.energyJoules, 1234);
  assert.equal(result.basis, "window");
  assert.equal(result.edgeSource, null);
});

Deno.test("sliceEnergy() integrates power where the GPU has no energy counter", () => {
  const samples = trace(() => 50, -0.5, 10.5, 0.1).map((s) => ({ ...s, energyJoules: null }));
  const result = sliceEnergy(samples, { ...base, startSeconds: 4, endSeconds: 10, windowEnergyJoules: 500 });
  assert.equal(result.edgeSource, "power_samples");
  close(result.energyJoules, 300, 1e-6);
});

Deno.test("sliceEnergy() measures from samples alone when the window has no figure", () => {
  const samples = trace(() => 200, 0, 10, 0.1);
  const result = sliceEnergy(samples, { ...base, startSeconds: 5, endSeconds: 10, windowEnergyJoules: null });
  assert.equal(result.basis, "samples");
  close(result.energyJoules, 1000, 1e-6);
});

Deno.test("sliceEnergy() takes a nearby sample within tolerance, never beyond it", () => {
  const samples = counterOnly([[0.05, 10], [5, 510]]);
  close(sliceEnergy(samples, wholeFromSamples(5)).energyJoules, 500);
  const far = sliceEnergy(samples, { ...wholeFromSamples(5), toleranceSeconds: 0.01 });
  assert.equal(far.energyJoules, null);
  assert.match(far.reason!, /both edges/);
});

Deno.test("sliceEnergy() refuses a counter that went down inside a stretch", () => {
  // The driver reloaded between t = 0 and t = 1: the edge values alone (200 J, 205 J) would look fine.
  const samples = counterOnly([[-1, 100], [0, 200], [1, 5], [2, 105], [3, 205]]);
  const result = sliceEnergy(samples, wholeFromSamples(3));
  assert.equal(result.energyJoules, null);
  assert.match(result.reason!, /reset/);
});

Deno.test("sliceEnergy() refuses an empty slice", () => {
  assert.equal(
    sliceEnergy([], { ...base, startSeconds: 3, endSeconds: 3, windowEnergyJoules: 10 }).reason,
    "the slice is empty",
  );
});
