import type { ExperimentConfig } from "./experiment_config.ts";

/** A combination of values that cannot run, with the fix. */
export interface RuleViolation {
  /** Stable rule id, for grouping skipped points. */
  rule: string;
  /** Dotted key the rule points at. */
  path: string;
  /** What is wrong, with the values involved. */
  message: string;
  /** How to fix it. */
  hint: string;
}

type Rule = (config: ExperimentConfig) => RuleViolation | undefined;

const FLOAT_TYPES = new Set(["float16", "bfloat16"]);

const RULES: Rule[] = [
  (c) =>
    c.dataset.source !== "synthetic" && c.dataset.path === null
      ? violation(
        "dataset-path-missing",
        "dataset.path",
        `dataset.source ${c.dataset.source} reads a file`,
        "set dataset.path",
      )
      : undefined,
  (c) =>
    c.dataset.source === "synthetic" && c.dataset.path !== null
      ? violation(
        "dataset-path-unused",
        "dataset.path",
        "dataset.path is set, but dataset.source is synthetic",
        "set dataset.source to jsonl or parquet, or remove dataset.path",
      )
      : undefined,
  (c) =>
    c.dataset.source === "synthetic" && c.generation.max_input_tokens !== null &&
      c.dataset.input_len_tokens > c.generation.max_input_tokens
      ? violation(
        "synthetic-prompt-truncated",
        "dataset.input_len_tokens",
        `synthetic prompts of ${c.dataset.input_len_tokens} tokens exceed generation.max_input_tokens (${c.generation.max_input_tokens})`,
        "lower dataset.input_len_tokens or raise generation.max_input_tokens",
      )
      : undefined,
  (c) =>
    c.measurement.methodology === "windowed" && c.measurement.window_seconds === null
      ? violation(
        "window-missing",
        "measurement.window_seconds",
        "methodology windowed needs measurement.window_seconds",
        "set measurement.window_seconds: [start, end]",
      )
      : undefined,
  (c) =>
    c.measurement.methodology !== "windowed" && c.measurement.window_seconds !== null
      ? violation(
        "window-unused",
        "measurement.window_seconds",
        `measurement.window_seconds is set, but methodology is ${c.measurement.methodology}`,
        "set measurement.methodology: windowed, or remove window_seconds",
      )
      : undefined,
  (c) => {
    const w = c.measurement.window_seconds;
    return w && w[0] >= w[1]
      ? violation(
        "window-empty",
        "measurement.window_seconds",
        `window start (${w[0]} s) is not before its end (${w[1]} s)`,
        "give [start, end] with start < end",
      )
      : undefined;
  },
  (c) =>
    c.measurement.warmup.mode === "converged" &&
      c.measurement.warmup.max_requests < c.measurement.warmup.n_requests
      ? violation(
        "warmup-cap-below-minimum",
        "measurement.warmup.max_requests",
        `warmup.max_requests (${c.measurement.warmup.max_requests}) is below warmup.n_requests (${c.measurement.warmup.n_requests})`,
        "raise max_requests or lower n_requests",
      )
      : undefined,
  (c) =>
    c.measurement.thermal_floor.max_seconds < c.measurement.thermal_floor.min_seconds
      ? violation(
        "thermal-floor-bounds",
        "measurement.thermal_floor.max_seconds",
        `thermal_floor.max_seconds (${c.measurement.thermal_floor.max_seconds}) is below min_seconds (${c.measurement.thermal_floor.min_seconds})`,
        "raise max_seconds or lower min_seconds",
      )
      : undefined,
  (c) => {
    const section = (["transformers", "vllm", "tensorrt"] as const).find((e) =>
      e !== c.engine && c[e] !== undefined
    );
    return section
      ? violation(
        "engine-section-mismatch",
        section,
        `${section} options are set, but this experiment's engine is ${c.engine}`,
        `set engine: ${section}, or move the options to a ${c.engine} section`,
      )
      : undefined;
  },
  // transformers
  (c) =>
    c.transformers?.load_in_4bit && c.transformers.load_in_8bit
      ? violation(
        "transformers-4bit-and-8bit",
        "transformers.load_in_4bit",
        "load_in_4bit and load_in_8bit are both true",
        "choose one quantisation",
      )
      : undefined,
  (c) =>
    c.transformers && !c.transformers.load_in_4bit &&
      (c.transformers.bnb_4bit_compute_dtype !== null || c.transformers.bnb_4bit_quant_type !== null)
      ? violation(
        "transformers-bnb-4bit-without-4bit",
        "transformers.bnb_4bit_quant_type",
        "bnb_4bit_* options are set, but load_in_4bit is false",
        "set transformers.load_in_4bit: true, or remove the bnb_4bit_* options",
      )
      : undefined,
  (c) =>
    c.transformers && !c.transformers.torch_compile && c.transformers.torch_compile_mode !== null
      ? violation(
        "transformers-compile-mode-without-compile",
        "transformers.torch_compile_mode",
        "torch_compile_mode is set, but torch_compile is false",
        "set transformers.torch_compile: true, or remove torch_compile_mode",
      )
      : undefined,
  (c) =>
    c.transformers && c.transformers.use_cache === false && c.transformers.cache_implementation !== null
      ? violation(
        "transformers-cache-without-cache",
        "transformers.cache_implementation",
        "cache_implementation is set, but use_cache is false",
        "set transformers.use_cache: true, or remove cache_implementation",
      )
      : undefined,
  (c) =>
    c.transformers?.attn_implementation?.startsWith("flash_attention") && !FLOAT_TYPES.has(c.generation.dtype)
      ? violation(
        "transformers-flash-attention-dtype",
        "generation.dtype",
        `${c.transformers.attn_implementation} needs float16 or bfloat16, found dtype ${c.generation.dtype}`,
        "set generation.dtype to float16 or bfloat16, or use attn_implementation: sdpa",
      )
      : undefined,
  // vLLM
  (c) => parallelism(c, c.vllm, "vllm"),
  (c) =>
    c.vllm && c.vllm.max_model_len !== null && c.vllm.max_num_batched_tokens !== null &&
      c.vllm.max_num_batched_tokens < c.vllm.max_model_len && c.vllm.enable_chunked_prefill !== true
      ? violation(
        "vllm-batched-tokens-below-model-len",
        "vllm.max_num_batched_tokens",
        `max_num_batched_tokens (${c.vllm.max_num_batched_tokens}) is below max_model_len (${c.vllm.max_model_len}) without chunked prefill`,
        "raise max_num_batched_tokens, or set vllm.enable_chunked_prefill: true",
      )
      : undefined,
  (c) =>
    c.vllm && c.vllm.max_model_len !== null && requestTokens(c) > c.vllm.max_model_len
      ? violation(
        "vllm-model-len-too-short",
        "vllm.max_model_len",
        `prompt plus output (${
          requestTokens(c)
        } tokens) exceeds vllm.max_model_len (${c.vllm.max_model_len})`,
        "raise vllm.max_model_len, or shorten prompts or max_new_tokens",
      )
      : undefined,
  // TensorRT-LLM
  (c) => parallelism(c, c.tensorrt, "tensorrt"),
  (c) =>
    c.engine === "tensorrt" && c.generation.dtype === "float32"
      ? violation(
        "tensorrt-dtype",
        "generation.dtype",
        "TensorRT-LLM runs float16 or bfloat16, found float32",
        "set generation.dtype to float16, bfloat16 or auto",
      )
      : undefined,
  (c) =>
    c.tensorrt && c.tensorrt.max_batch_size !== null && c.generation.batch_size > c.tensorrt.max_batch_size
      ? violation(
        "tensorrt-batch-too-large",
        "generation.batch_size",
        `generation.batch_size (${c.generation.batch_size}) exceeds tensorrt.max_batch_size (${c.tensorrt.max_batch_size})`,
        "raise tensorrt.max_batch_size or lower generation.batch_size",
      )
      : undefined,
  (c) =>
    c.tensorrt && c.tensorrt.max_seq_len !== null && requestTokens(c) > c.tensorrt.max_seq_len
      ? violation(
        "tensorrt-seq-len-too-short",
        "tensorrt.max_seq_len",
        `prompt plus output (${
          requestTokens(c)
        } tokens) exceeds tensorrt.max_seq_len (${c.tensorrt.max_seq_len})`,
        "raise tensorrt.max_seq_len, or shorten prompts or max_new_tokens",
      )
      : undefined,
  (c) =>
    c.tensorrt && c.tensorrt.backend !== "trt" && (c.tensorrt.quant_algo !== null || c.tensorrt.fast_build)
      ? violation(
        "tensorrt-trt-only-option",
        c.tensorrt.quant_algo !== null ? "tensorrt.quant_algo" : "tensorrt.fast_build",
        `${
          c.tensorrt.quant_algo !== null ? "quant_algo" : "fast_build"
        } needs backend trt, found ${c.tensorrt.backend}`,
        "set tensorrt.backend: trt, or remove the option",
      )
      : undefined,
];

/** Every cross-field rule the config breaks (empty when it can run). */
export function checkCrossFieldRules(config: ExperimentConfig): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const rule of RULES) {
    const found = rule(config);
    if (found) violations.push(found);
  }
  return violations;
}

function violation(rule: string, path: string, message: string, hint: string): RuleViolation {
  return { rule, path, message, hint };
}

/** Longest request in tokens: prompt (as configured) plus output. */
function requestTokens(c: ExperimentConfig): number {
  const prompt = c.dataset.source === "synthetic"
    ? c.dataset.input_len_tokens
    : c.generation.max_input_tokens ?? 0;
  return prompt + c.generation.max_new_tokens;
}

function parallelism(
  c: ExperimentConfig,
  options: { tensor_parallel_size: number | null; pipeline_parallel_size: number | null } | undefined,
  engine: string,
): RuleViolation | undefined {
  if (!options) return undefined;
  // Unset sizes are the engines' own default, 1.
  const needed = (options.tensor_parallel_size ?? 1) * (options.pipeline_parallel_size ?? 1);
  return needed !== c.gpus.length
    ? violation(
      `${engine}-parallelism-gpus`,
      `${engine}.tensor_parallel_size`,
      `tensor_parallel_size x pipeline_parallel_size = ${needed} GPU(s), but gpus lists ${c.gpus.length}`,
      `list ${needed} GPU(s) in gpus, or change the parallel sizes`,
    )
    : undefined;
}
