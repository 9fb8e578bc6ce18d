import { z } from "zod";
import { DEFAULT_ENGINE, engineIdSchema } from "../engines/engine_id.ts";
import { tensorrtOptionsSchema, transformersOptionsSchema, vllmOptionsSchema } from "./engine_options.ts";

/** Ways llem can start an engine. */
export const RUNNER_IDS = ["auto", "docker", "podman", "apptainer", "process"] as const;

/** The workload: which prompts, how many, in what order. */
export const datasetSchema = z.strictObject({
  source: z.enum(["synthetic", "jsonl", "parquet"]).default("synthetic")
    .describe(
      "synthetic prompts of an exact token length, or prompts read from a local JSONL or Parquet file",
    ),
  path: z.string().min(1).nullable().default(null).describe(
    "the JSONL or Parquet file; needed for those sources",
  ),
  prompt_field: z.string().min(1).default("prompt").describe("field or column holding the prompt text"),
  n_prompts: z.int().min(1).max(10_000_000).default(100).describe("prompts sent in the measured window"),
  input_len_tokens: z.int().min(1).max(1_048_576).default(128)
    .describe("prompt length of synthetic prompts, in tokens of the model's own tokenizer"),
  order: z.enum(["as_given", "shuffled"]).default("as_given").describe("prompt order"),
  seed: z.int().min(0).default(42).describe("seed for synthetic prompts and shuffling"),
}).prefault({});

/** Decoding parameters shared by every engine. */
export const decodingSchema = z.strictObject({
  temperature: z.number().min(0).max(100).default(0).describe("sampling temperature; 0 = greedy"),
  top_p: z.number().gt(0).max(1).default(1).describe("nucleus sampling mass; 1 = off"),
  top_k: z.int().min(0).default(0).describe("top-k sampling; 0 = off"),
  repetition_penalty: z.number().gt(0).max(10).default(1).describe("repetition penalty; 1 = off"),
  seed: z.int().min(0).default(42).describe("sampling seed"),
}).prefault({});

/** What each request asks the engine to do. */
export const generationSchema = z.strictObject({
  batch_size: z.int().min(1).max(65_536).default(1).describe("requests submitted together"),
  max_new_tokens: z.int().min(1).max(1_048_576).default(128).describe("output tokens per request, at most"),
  max_input_tokens: z.int().min(1).max(1_048_576).nullable().default(null)
    .describe("truncate longer prompts to this many tokens; null = no truncation"),
  ignore_eos: z.boolean().default(false)
    .describe("keep generating past end-of-sequence, so every request makes max_new_tokens"),
  dtype: z.enum(["auto", "float16", "bfloat16", "float32"]).default("bfloat16").describe("weight dtype"),
  decoding: decodingSchema.describe("decoding parameters shared by every engine"),
}).prefault({});

/** Idle-power baseline subtracted from measured energy. */
export const baselineSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("measure idle power and report baseline-adjusted energy"),
  strategy: z.enum(["cached", "fresh"]).default("cached")
    .describe("cached = reuse a recent baseline per GPU after a spot check; fresh = measure every session"),
  duration_seconds: z.number().min(5).max(600).default(30).describe("length of a full idle measurement"),
  spot_check_seconds: z.number().min(1).max(60).default(5).describe(
    "length of the check of a cached baseline",
  ),
  cache_ttl_seconds: z.number().min(60).max(604_800).default(7200).describe(
    "age after which a cached baseline expires",
  ),
  drift_threshold: z.number().min(0.01).max(0.5).default(0.1)
    .describe("relative change in idle power that invalidates a cached baseline"),
}).prefault({});

/** Warmup before the measured window. */
export const warmupSchema = z.strictObject({
  mode: z.enum(["fixed", "converged"]).default("fixed")
    .describe("fixed = n_requests requests; converged = until latency CV falls below cv_threshold"),
  n_requests: z.int().min(0).max(100_000).default(5).describe("warmup requests (the minimum when converged)"),
  max_requests: z.int().min(1).max(100_000).default(20).describe("cap on warmup requests when converged"),
  cv_threshold: z.number().min(0.001).max(0.5).default(0.05)
    .describe("coefficient of variation of recent latencies that counts as converged"),
  window: z.int().min(3).max(1000).default(3).describe("latencies the convergence test looks at"),
  min_seconds: z.number().min(0).max(3600).default(0)
    .describe("keep warming up at least this long, so clocks and temperature settle"),
}).prefault({});

/** Waiting for the GPU to cool before each measured window. */
export const thermalFloorSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("wait for the GPU to approach its idle temperature"),
  min_seconds: z.number().min(0).max(3600).default(10).describe("always wait at least this long"),
  max_seconds: z.number().min(0).max(3600).default(120).describe("never wait longer than this"),
  margin_celsius: z.number().min(0).max(50).default(3).describe(
    "close enough to idle temperature, in degrees",
  ),
}).prefault({});

/** The fraction `steady_state_discard_fraction: auto` drops when no onset is found in the power trace. */
export const AUTO_FALLBACK_DISCARD_FRACTION = 0.1;

/** How energy and the timeseries are measured. */
export const measurementSchema = z.strictObject({
  energy_source: z.enum(["auto", "counter", "power"]).default("auto")
    .describe(
      "counter = NVML energy counter; power = integrate power samples; auto = counter where supported",
    ),
  sample_interval_ms: z.int().min(1).max(10_000).default(100).describe("timeseries sampling interval"),
  baseline: baselineSchema.describe("idle power, subtracted from measured energy"),
  warmup: warmupSchema.describe("requests run before the measured window"),
  thermal_floor: thermalFloorSchema.describe("cool-down before each measured window"),
  methodology: z.enum(["total", "steady_state", "windowed"]).default("total")
    .describe("which slice of the run the headline metrics cover"),
  steady_state_discard_fraction: z.union([z.number().min(0).max(0.9), z.literal("auto")]).default(0.1)
    .describe("leading fraction of the run dropped by steady_state, or auto: detect where power settles"),
  window_seconds: z.tuple([z.number().min(0), z.number().gt(0)]).nullable().default(null)
    .describe("[start, end] seconds after the window opens; needed by methodology: windowed"),
  latency_profiling: z.boolean().default(false)
    .describe("stream per-token timings (TTFT, ITL); perturbs energy, so such runs are flagged"),
  timeseries: z.boolean().default(true).describe("write timeseries.parquet"),
}).prefault({});

/** One experiment: a model, an engine, a workload and how to measure it. */
export const experimentSchema = z.strictObject({
  model: z.string().min(1).describe("Hugging Face model id or local path"),
  engine: engineIdSchema.default(DEFAULT_ENGINE).describe("inference engine"),
  runner: z.enum(RUNNER_IDS).default("auto")
    .describe("how the engine starts: auto picks a container runtime, else a local process"),
  image: z.string().min(1).nullable().default(null).describe("container image; null = the engine's default"),
  gpus: z.array(z.union([z.int().min(0), z.string().min(1)])).min(1).max(64).default([0])
    .describe("GPUs by NVML index or UUID"),
  allow_network: z.boolean().default(false).describe(
    "let the engine reach the network, e.g. to download a model; without it a container has none, and " +
      "every runner sets HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1",
  ),
  python: z.string().min(1).nullable().default(null)
    .describe(
      "Python that runs the harness under runner: process (a virtual environment's bin/python); null = python3",
    ),
  shm_size: z.string().regex(/^[1-9][0-9]*[kmg]?$/, "a size such as 512m or 8g").default("8g")
    .describe("shared memory for container runners (PyTorch workers, NCCL)"),
  memory_limit: z.string().regex(/^[1-9][0-9]*[kmg]?$/, "a size such as 64g").nullable().default(null)
    .describe("memory limit of a docker or podman container (no swap beyond it); null = none"),
  dataset: datasetSchema.describe("the workload: which prompts, how many, in what order"),
  generation: generationSchema.describe("what each request asks the engine to do"),
  transformers: transformersOptionsSchema.optional().describe(
    "transformers options (engine: transformers only)",
  ),
  vllm: vllmOptionsSchema.optional().describe("vLLM options (engine: vllm only)"),
  tensorrt: tensorrtOptionsSchema.optional().describe("TensorRT-LLM options (engine: tensorrt only)"),
  measurement: measurementSchema.describe("how energy, power and time are measured"),
});

/** A fully resolved experiment config, defaults applied. */
export type ExperimentConfig = z.output<typeof experimentSchema>;

/** Fields that say where and how an experiment runs, not what it measures; left out of the measurement hash. */
export const ENVIRONMENT_FIELDS = [
  "runner",
  "image",
  "gpus",
  "allow_network",
  "python",
  "shm_size",
  "memory_limit",
] as const;
