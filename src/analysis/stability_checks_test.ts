import assert from "node:assert/strict";
import { resultFields } from "../../tests/result_fields_fixture.ts";
import { stabilityChecks, type StabilityInput } from "./stability_checks.ts";

/** A stable run: 60 s at 300 W on one GPU limited to 700 W, idle 70 W, 40 °C, counter and integral agree. */
function stable(): StabilityInput {
  return resultFields(100);
}

Deno.test("stabilityChecks() passes a stable run and names every check a run fails, with its reason", () => {
  assert.deepEqual(stabilityChecks(stable()), []);
  const run = stable();
  run.energy_breakdown = {
    window_energy_j: 30,
    window_duration_s: 0.5,
    idle_baseline_power_w: 70,
    max_disagreement_fraction: 0.2,
    adjustment_floored: true,
  };
  run.thermal_throttle = {
    throttle_detected: true,
    throttle_duration_sec: 0.25,
    reasons: { sw_thermal: { duration_s: 0.25 } },
    max_temperature_c: 101,
  };
  assert.deepEqual(stabilityChecks(run), [
    { check: "window_length", reason: "window of 0.50 s, under 10 s" },
    { check: "power_range", reason: "mean 60.0 W, below idle 70.0 W" },
    { check: "temperature", reason: "peak 101 °C, outside 5-95 °C" },
    { check: "throttling", reason: "sw_thermal for 0.25 s of the window" },
    { check: "counter_vs_integral", reason: "energy counter and integrated power differ by 20.0%" },
    { check: "baseline", reason: "the adjusted energy was floored at 0: the baseline is above the run" },
  ]);
});

Deno.test("stabilityChecks() flags power above the summed limits of the run's GPUs, and a run without energy", () => {
  const run = stable();
  run.energy_breakdown!.window_energy_j = 60 * 800;
  run.environment = {
    gpus: [{ enforced_power_limit_w: 350, power_limit_w: 400 }, {
      enforced_power_limit_w: null,
      power_limit_w: 400,
    }],
  };
  assert.deepEqual(stabilityChecks(run), [{
    check: "power_range",
    reason: "mean 800.0 W, above the power limit 750 W",
  }]);
  assert.deepEqual(stabilityChecks({ ...stable(), energy_breakdown: null }), [
    { check: "energy", reason: "the run has no energy breakdown" },
  ]);
});

Deno.test("stabilityChecks() fails every simulated run, however stable", () => {
  const failed = stabilityChecks({ ...stable(), environment: { gpus: [], simulated: "llem demo" } });
  assert.deepEqual(failed.map((f) => f.check), ["simulated"]);
  assert.match(failed[0]!.reason, /simulated, not measured \(llem demo\)/);
});
