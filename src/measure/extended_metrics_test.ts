import assert from "node:assert/strict";
import { extendedMetrics, precisionFactor } from "./extended_metrics.ts";

const sample = (uuid: string, sm: number | null, mem: number | null, usedGiB: number | null) => ({
  uuid,
  utilizationGpuPercent: sm,
  utilizationMemoryPercent: mem,
  memoryUsedBytes: usedGiB === null ? null : usedGiB * 2 ** 30,
});

const input = {
  outputTokens: 400,
  energyJoules: 200,
  durationSeconds: 4,
  dtype: "bfloat16",
  tpotMs: 12.5,
  requestLatencyMs: null,
  samples: [sample("GPU-a", 80, 40, 10), sample("GPU-a", 100, 60, 12), sample("GPU-b", 90, null, 8)],
  gpuMemoryTotalBytes: 2 * 80 * 2 ** 30,
  modelMemoryBytes: 16 * 2 ** 30,
  batching: "static" as const,
  configuredBatchSize: 4,
  // Two static batches: [in 10 out 5, in 8 out 3] and [in 10 out 5].
  requests: [
    { input_tokens: 10, output_tokens: 5, start_s: 0 },
    { input_tokens: 8, output_tokens: 3, start_s: 0 },
    { input_tokens: 10, output_tokens: 5, start_s: 1 },
  ],
};

Deno.test("extendedMetrics() computes the token efficiency index, memory and utilisation", () => {
  const m = extendedMetrics(input);
  // 100 tok/s × 2 tok/J × 1.
  assert.equal(m.tokenEfficiencyIndex, 200);
  assert.equal(m.tpotMs, 12.5);
  assert.equal(m.memory.totalVramMb, 160 * 1024);
  assert.equal(m.memory.modelMemoryMb, 16 * 1024);
  // Peaks per GPU summed: 12 + 8 GiB.
  assert.equal(m.memory.peakMemoryMb, 20 * 1024);
  assert.equal(m.memory.tokensPerGbVram, 20);
  assert.equal(m.memory.modelMemoryUtilisation, 0.1);
  assert.equal(m.gpuUtilisation.smUtilisationMean, 90);
  assert.equal(m.gpuUtilisation.smUtilisationSamples, 3);
  assert.equal(m.gpuUtilisation.memoryBandwidthUtilisation, 50);
  assert.equal(m.kvCache.kvCacheHitRate, null);
});

Deno.test("extendedMetrics() measures static batches from shared start times", () => {
  const batch = extendedMetrics(input).batch;
  assert.equal(batch.numBatches, 2);
  assert.equal(batch.effectiveBatchSize, 1.5);
  assert.equal(batch.batchUtilisation, 0.375);
  // Slots 2×15 + 1×15 = 45; real 15 + 11 + 15 = 41.
  assert.ok(Math.abs(batch.paddingOverhead! - 4 / 45) < 1e-12);
});

Deno.test("extendedMetrics() leaves batch figures to static batching", () => {
  assert.equal(extendedMetrics({ ...input, batching: "continuous" }).batch.numBatches, null);
  assert.deepEqual(extendedMetrics({ ...input, batching: "single_call" }).batch, {
    numBatches: 1,
    effectiveBatchSize: null,
    batchUtilisation: null,
    paddingOverhead: null,
  });
});

Deno.test("extendedMetrics() is null where nothing can be computed", () => {
  const m = extendedMetrics({
    ...input,
    outputTokens: 0,
    samples: [],
    gpuMemoryTotalBytes: 0,
    modelMemoryBytes: null,
    requests: [],
  });
  assert.equal(m.tokenEfficiencyIndex, null);
  assert.equal(m.memory.peakMemoryMb, null);
  assert.equal(m.memory.tokensPerGbVram, null);
  assert.equal(m.memory.totalVramMb, null);
  assert.equal(m.memory.modelMemoryUtilisation, null);
  assert.equal(m.gpuUtilisation.smUtilisationMean, null);
  assert.equal(m.gpuUtilisation.smUtilisationSamples, 0);
  assert.equal(m.batch.numBatches, null);
});

Deno.test("precisionFactor() discounts 8- and 4-bit compute", () => {
  assert.equal(precisionFactor("bfloat16"), 1);
  assert.equal(precisionFactor("torch.float32"), 1);
  assert.equal(precisionFactor("fp8"), 0.5);
  assert.equal(precisionFactor("int4"), 0.25);
  assert.equal(precisionFactor(null), 1);
});
