import assert from "node:assert/strict";
import { measuredSlice } from "./measured_slice.ts";
import type { SliceSample } from "./slice_energy.ts";

const close = (a: number | null | undefined, b: number, tolerance = 1e-9) =>
  assert.ok(a != null && Math.abs(a - b) <= tolerance, `${a} is not ${b}`);

/** 200 W flat from before the window opens to after it closes at 10 s, counter sampled every 0.1 s. */
const flat: SliceSample[] = Array.from({ length: 121 }, (_, i) => {
  const t = -1 + i * 0.1;
  return { timeSeconds: t, energyJoules: 5000 + 200 * (t + 1), powerWatts: 200 };
});

// Ten requests, one per second, 100 tokens each, every token timestamped.
const requests = Array.from({ length: 10 }, (_, i) => {
  const times = Array.from({ length: 100 }, (_, k) => i + 0.01 * (k + 1));
  return {
    output_tokens: 100,
    start_s: i,
    first_token_s: times[0]!,
    end_s: times.at(-1)!,
    token_times_s: times,
  };
});

const options = {
  windowDurationSeconds: 10,
  discardFraction: 0.2,
  windowSeconds: null,
  gpus: [{ windowEnergyJoules: 2000, samples: flat }],
  requests,
  sampleIntervalSeconds: 0.1,
};

Deno.test("measuredSlice() total is the whole window with every token", () => {
  const slice = measuredSlice({ ...options, methodology: "total" });
  assert.equal(slice.methodology, "total");
  assert.deepEqual([slice.startSeconds, slice.endSeconds, slice.durationSeconds], [0, 10, 10]);
  assert.deepEqual(slice.energyJoules, [2000]);
  assert.deepEqual(slice.energyBasis, ["window"]);
  assert.equal(slice.outputTokens, 1000);
  assert.equal(slice.tokenAttribution, "all_requests");
});

Deno.test("measuredSlice() steady_state drops the leading fraction of the window", () => {
  const slice = measuredSlice({ ...options, methodology: "steady_state" });
  assert.equal(slice.methodology, "steady_state");
  close(slice.startSeconds, 2);
  assert.equal(slice.endSeconds, 10);
  close(slice.durationSeconds, 8);
  close(slice.energyJoules[0], 1600, 1e-6);
  assert.deepEqual(slice.energyBasis, ["window_minus_edges"]);
  assert.equal(slice.edgeSource, "energy_counter_samples");
  assert.equal(slice.outputTokens, 800);
  assert.equal(slice.tokenAttribution, "token_times");
});

Deno.test("measuredSlice() steady_state with detectOnset starts where power settles, else says why not", () => {
  // 80 W until 1.5 s, then 200 W: counter and power agree, sampled every 0.1 s from -1 s to 11 s.
  let joules = 5000;
  let previous = 80;
  const stepped: SliceSample[] = Array.from({ length: 121 }, (_, i) => {
    const t = -1 + i * 0.1;
    const watts = t < 1.5 - 1e-9 ? 80 : 200;
    if (i > 0) joules += previous * 0.1;
    previous = watts;
    return { timeSeconds: t, energyJoules: joules, powerWatts: watts };
  });
  const windowJoules = 80 * 1.5 + 200 * 8.5;
  const gpus = [{ windowEnergyJoules: windowJoules, samples: stepped }];
  const detected = measuredSlice({ ...options, gpus, methodology: "steady_state", detectOnset: true });
  assert.equal(detected.steadyStateOnset, "detected");
  close(detected.startSeconds, 1.5);
  close(detected.energyJoules[0], 200 * 8.5, 1e-6);
  assert.deepEqual(detected.warnings, []);
  const fixed = measuredSlice({ ...options, gpus, methodology: "steady_state" });
  assert.equal(fixed.steadyStateOnset, "discard_fraction");
  close(fixed.startSeconds, 2);
  // A trace that never settles: the fixed fraction, and a warning naming the fallback.
  const climbing = stepped.map((s) => ({ ...s, powerWatts: 100 + 20 * s.timeSeconds }));
  const fallback = measuredSlice({
    ...options,
    gpus: [{ windowEnergyJoules: windowJoules, samples: climbing }],
    methodology: "steady_state",
    detectOnset: true,
  });
  assert.equal(fallback.steadyStateOnset, "discard_fraction");
  close(fallback.startSeconds, 2);
  assert.match(fallback.warnings.join("\n"), /^steady_state_not_detected: .*leading 20% of the window/);
  assert.equal(measuredSlice({ ...options, methodology: "total", detectOnset: true }).steadyStateOnset, null);
});

Deno.test("measuredSlice() windowed takes window_seconds and clips it to the run", () => {
  const slice = measuredSlice({ ...options, methodology: "windowed", windowSeconds: [3, 5] });
  assert.deepEqual([slice.startSeconds, slice.endSeconds], [3, 5]);
  close(slice.energyJoules[0], 400, 1e-6);
  assert.equal(slice.outputTokens, 200);
  const clipped = measuredSlice({ ...options, methodology: "windowed", windowSeconds: [8, 30] });
  assert.equal(clipped.endSeconds, 10);
  assert.match(clipped.warnings.join(";"), /clipped to 10\.000 s/);
});

Deno.test("measuredSlice() falls back to the whole window, with the reason, when the slice cannot be honoured", () => {
  const outside = measuredSlice({ ...options, methodology: "windowed", windowSeconds: [12, 20] });
  assert.equal(outside.methodology, "total");
  assert.match(outside.warnings.join(";"), /outside the run/);
  const unset = measuredSlice({ ...options, methodology: "windowed" });
  assert.equal(unset.methodology, "total");
  assert.match(unset.warnings.join(";"), /without measurement\.window_seconds/);
  const unsampled = measuredSlice({
    ...options,
    methodology: "steady_state",
    gpus: [{ windowEnergyJoules: 2000, samples: [] }],
  });
  assert.equal(unsampled.methodology, "total");
  assert.deepEqual(unsampled.energyJoules, [2000]);
  assert.match(unsampled.warnings.join(";"), /not measurable on GPU #0/);
});
