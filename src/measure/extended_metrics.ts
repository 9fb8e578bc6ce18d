import type { Distribution } from "./distribution.ts";
import { maxOf } from "./max_of.ts";

/** How an engine batches requests: static batches of batch_size, continuous batching, or one call for all. */
export type Batching = "static" | "continuous" | "single_call";

/** The sample fields extended metrics read (one GPU's sample inside the measured slice). */
export interface UtilisationSample {
  uuid: string;
  utilizationGpuPercent: number | null;
  utilizationMemoryPercent: number | null;
  memoryUsedBytes: number | null;
}

/** The request fields batch efficiency needs. */
export interface BatchRequest {
  input_tokens: number;
  output_tokens: number;
  start_s: number;
}

/** Memory efficiency; sizes in MiB (2^20 bytes). */
export interface MemoryMetrics {
  totalVramMb: number | null;
  modelMemoryMb: number | null;
  peakMemoryMb: number | null;
  kvCacheMb: number | null;
  tokensPerGbVram: number | null;
  modelMemoryUtilisation: number | null;
  kvCacheMemoryRatio: number | null;
}

/** Mean utilisation over the slice's samples, percent. */
export interface GpuUtilisationMetrics {
  smUtilisationMean: number | null;
  smUtilisationSamples: number;
  memoryBandwidthUtilisation: number | null;
}

/** Static-batching efficiency. */
export interface BatchMetrics {
  numBatches: number | null;
  effectiveBatchSize: number | null;
  batchUtilisation: number | null;
  paddingOverhead: number | null;
}

/** KV-cache figures; the harness does not report them yet, so they are null. */
export interface KvCacheMetrics {
  kvCacheHitRate: number | null;
  kvCacheBlocksUsed: number | null;
  kvCacheBlocksTotal: number | null;
}

/** Extended efficiency metrics: every leaf null where it cannot be computed. */
export interface ExtendedMetrics {
  tpotMs: number | null;
  tokenEfficiencyIndex: number | null;
  precisionFactor: number;
  memory: MemoryMetrics;
  gpuUtilisation: GpuUtilisationMetrics;
  batch: BatchMetrics;
  kvCache: KvCacheMetrics;
  /** Per-request end-to-end latency, milliseconds. */
  requestLatencyMs: Distribution | null;
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/**
 * Effective-work factor of a compute precision for the token efficiency index: 1 for 16- and 32-bit
 * floats, 0.5 for 8-bit, 0.25 for 4-bit; 1 when unknown.
 */
export function precisionFactor(dtype: string | null): number {
  const name = (dtype ?? "").toLowerCase();
  if (/int4|4bit|nf4|fp4/.test(name)) return 0.25;
  if (/int8|8bit|fp8|float8/.test(name)) return 0.5;
  return 1;
}

const mean = (values: readonly number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;

function batchMetrics(
  requests: readonly BatchRequest[],
  batching: Batching,
  configuredBatchSize: number,
): BatchMetrics {
  const none = { numBatches: null, effectiveBatchSize: null, batchUtilisation: null, paddingOverhead: null };
  if (batching === "continuous" || requests.length === 0) return none;
  if (batching === "single_call") return { ...none, numBatches: 1 };
  // Static batches: the rows of one generate() call share its start time.
  const batches = new Map<number, BatchRequest[]>();
  for (const r of requests) {
    const rows = batches.get(r.start_s);
    if (rows) rows.push(r);
    else batches.set(r.start_s, [r]);
  }
  let slots = 0;
  let real = 0;
  for (const rows of batches.values()) {
    // Inputs are padded to the longest prompt, and every row runs until the longest output is done.
    const width = maxOf(rows.map((r) => r.input_tokens))! + maxOf(rows.map((r) => r.output_tokens))!;
    slots += rows.length * width;
    real += rows.reduce((a, r) => a + r.input_tokens + r.output_tokens, 0);
  }
  const effective = requests.length / batches.size;
  return {
    numBatches: batches.size,
    effectiveBatchSize: effective,
    batchUtilisation: effective / configuredBatchSize,
    paddingOverhead: slots > 0 ? 1 - real / slots : null,
  };
}

/**
 * Efficiency figures beyond the headline ones: TPOT, the token efficiency index (throughput ×
 * tokens per joule × precision factor), memory, utilisation, batching and per-request latency.
 */
export function extendedMetrics(input: {
  outputTokens: number;
  energyJoules: number;
  durationSeconds: number;
  /** The dtype the engine used, e.g. "bfloat16". */
  dtype: string | null;
  /** Mean per-request TPOT, ms; null without first-token times. */
  tpotMs: number | null;
  requestLatencyMs: Distribution | null;
  /** Samples of every GPU inside the measured slice. */
  samples: readonly UtilisationSample[];
  /** Memory of every GPU of the run, summed. */
  gpuMemoryTotalBytes: number;
  /** Memory the engine reported after loading the model (weights and what it reserves). */
  modelMemoryBytes: number | null;
  batching: Batching;
  configuredBatchSize: number;
  requests: readonly BatchRequest[];
}): ExtendedMetrics {
  const factor = precisionFactor(input.dtype);
  const { outputTokens, energyJoules, durationSeconds } = input;
  const tokenEfficiencyIndex = outputTokens > 0 && energyJoules > 0 && durationSeconds > 0
    ? (outputTokens / durationSeconds) * (outputTokens / energyJoules) * factor
    : null;
  const peaks = new Map<string, number>();
  for (const s of input.samples) {
    if (s.memoryUsedBytes !== null) peaks.set(s.uuid, Math.max(peaks.get(s.uuid) ?? 0, s.memoryUsedBytes));
  }
  const peakBytes = peaks.size ? [...peaks.values()].reduce((a, b) => a + b, 0) : null;
  const totalBytes = input.gpuMemoryTotalBytes > 0 ? input.gpuMemoryTotalBytes : null;
  const sm = input.samples.map((s) => s.utilizationGpuPercent).filter((v): v is number => v !== null);
  const bandwidth = input.samples.map((s) => s.utilizationMemoryPercent).filter((v): v is number =>
    v !== null
  );
  return {
    tpotMs: input.tpotMs,
    tokenEfficiencyIndex,
    precisionFactor: factor,
    memory: {
      totalVramMb: totalBytes === null ? null : totalBytes / MIB,
      modelMemoryMb: input.modelMemoryBytes === null ? null : input.modelMemoryBytes / MIB,
      peakMemoryMb: peakBytes === null ? null : peakBytes / MIB,
      kvCacheMb: null,
      tokensPerGbVram: peakBytes && outputTokens > 0 ? outputTokens / (peakBytes / GIB) : null,
      modelMemoryUtilisation: totalBytes !== null && input.modelMemoryBytes !== null
        ? input.modelMemoryBytes / totalBytes
        : null,
      kvCacheMemoryRatio: null,
    },
    gpuUtilisation: {
      smUtilisationMean: mean(sm),
      smUtilisationSamples: sm.length,
      memoryBandwidthUtilisation: mean(bandwidth),
    },
    batch: batchMetrics(input.requests, input.batching, input.configuredBatchSize),
    kvCache: { kvCacheHitRate: null, kvCacheBlocksUsed: null, kvCacheBlocksTotal: null },
    requestLatencyMs: input.requestLatencyMs,
  };
}
