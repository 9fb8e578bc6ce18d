import assert from "node:assert/strict";
import { multiGpu } from "./multi_gpu.ts";

const counter = "nvml_energy_counter" as const;

Deno.test("multiGpu() sums devices and reports shares and imbalance", () => {
  const { metrics, aggregation } = multiGpu([
    { uuid: "GPU-a", energyJoules: 300, method: counter },
    { uuid: "GPU-b", energyJoules: 100, method: counter },
  ], { outputTokens: 200 });
  assert.deepEqual(metrics, {
    numGpus: 2,
    gpuUuids: ["GPU-a", "GPU-b"],
    energyPerGpuJoules: [300, 100],
    energyTotalJoules: 400,
    energyPerOutputTokenJoules: 2,
    energyShare: [0.75, 0.25],
    energyImbalance: 1,
  });
  assert.equal(aggregation.method, "sum_over_devices");
  assert.equal(aggregation.numDevices, 2);
  assert.equal(aggregation.mixedEnergyMethods, false);
  assert.match(aggregation.warnings.join(";"), /differ by 100% of their mean/);
});

Deno.test("multiGpu() gives no multi-GPU metrics for one GPU but still the aggregation", () => {
  const { metrics, aggregation } = multiGpu([{ uuid: "GPU-a", energyJoules: 5, method: counter }], {
    outputTokens: 1,
  });
  assert.equal(metrics, null);
  assert.equal(aggregation.numDevices, 1);
  assert.deepEqual(aggregation.warnings, []);
});

Deno.test("multiGpu() flags mixed methods and has null ratios at zero", () => {
  const { metrics, aggregation } = multiGpu([
    { uuid: "GPU-a", energyJoules: 0, method: counter },
    { uuid: "GPU-b", energyJoules: 0, method: "power_integration" },
  ], { outputTokens: 0 });
  assert.equal(aggregation.mixedEnergyMethods, true);
  assert.match(aggregation.warnings[0]!, /different methods/);
  assert.equal(metrics!.energyPerOutputTokenJoules, null);
  assert.equal(metrics!.energyShare, null);
  assert.equal(metrics!.energyImbalance, null);
});
