import { z } from "zod";
import type { EngineDefinition, EngineRuleInput, RuleViolation } from "./engine_definition.ts";
import { brokenRules, parallelismRule, parallelSizes, requestTokens, violation } from "./engine_rule.ts";
import { extraOptions } from "./extra_options.ts";

/** Options for vLLM's offline engine that llem validates; `extra` passes anything else through. */
export const vllmOptionsSchema = z.strictObject({
  gpu_memory_utilization: z.number().gt(0).lt(1).nullable().default(null)
    .describe(
      "fraction of GPU memory vLLM may claim for weights and KV cache; null = vLLM's own (0.92 in 0.33)",
    ),
  max_num_seqs: z.int().min(1).nullable().default(null).describe("most sequences scheduled at once"),
  max_num_batched_tokens: z.int().min(1).nullable().default(null).describe("most tokens per scheduler step"),
  max_model_len: z.int().min(1).nullable().default(null).describe("context length; null = the model's own"),
  block_size: z.union([z.literal(8), z.literal(16), z.literal(32)]).nullable().default(null)
    .describe("KV cache block size in tokens"),
  kv_cache_dtype: z.enum(["auto", "fp8", "fp8_e5m2", "fp8_e4m3"]).nullable().default(null)
    .describe("KV cache dtype; null = vLLM's own (auto: the model's dtype)"),
  enforce_eager: z.boolean().nullable().default(null).describe(
    "disable CUDA graphs; null = vLLM's own (false)",
  ),
  enable_chunked_prefill: z.boolean().nullable().default(null).describe("split long prefills into chunks"),
  enable_prefix_caching: z.boolean().nullable().default(null).describe(
    "reuse KV cache across shared prefixes",
  ),
  tensor_parallel_size: z.int().min(1).max(64).nullable().default(null)
    .describe("GPUs per pipeline stage; null = vLLM's own (1)"),
  pipeline_parallel_size: z.int().min(1).max(64).nullable().default(null)
    .describe("pipeline stages; null = vLLM's own (1)"),
  quantization: z.enum(["awq", "gptq", "fp8", "marlin", "bitsandbytes"]).nullable().default(null)
    .describe("weight quantisation method"),
  cpu_offload_gb: z.number().min(0).nullable().default(null)
    .describe("GiB of weights offloaded to CPU memory; null = vLLM's own (0)"),
  extra: extraOptions,
});

type Options = z.output<typeof vllmOptionsSchema>;

const RULES: ((input: EngineRuleInput<Options>) => RuleViolation | undefined)[] = [
  ({ options, gpus }) => parallelismRule("vllm", parallelSizes(options), gpus),
  ({ options: o }) =>
    o.max_model_len !== null && o.max_num_batched_tokens !== null &&
      o.max_num_batched_tokens < o.max_model_len && o.enable_chunked_prefill !== true
      ? violation(
        "vllm-batched-tokens-below-model-len",
        "vllm.max_num_batched_tokens",
        `max_num_batched_tokens (${o.max_num_batched_tokens}) is below max_model_len (${o.max_model_len}) without chunked prefill`,
        "raise max_num_batched_tokens, or set vllm.enable_chunked_prefill: true",
      )
      : undefined,
  (input) =>
    input.options.max_model_len !== null && requestTokens(input) > input.options.max_model_len
      ? violation(
        "vllm-model-len-too-short",
        "vllm.max_model_len",
        `prompt plus output (${
          requestTokens(input)
        } tokens) exceeds vllm.max_model_len (${input.options.max_model_len})`,
        "raise vllm.max_model_len, or shorten prompts or max_new_tokens",
      )
      : undefined,
];

/** vLLM's offline engine (`vllm.LLM`). */
export const vllm: EngineDefinition<Options> = {
  id: "vllm",
  displayName: "vLLM",
  defaultImage: "vllm/vllm-openai:v0.33.0",
  pythonPackage: "vllm",
  // vLLM sends usage statistics from a thread at load unless told not to (vllm/usage/usage_lib.py, 0.33.0).
  offlineEnv: { VLLM_NO_USAGE_STATS: "1", DO_NOT_TRACK: "1" },
  checked: {
    version: "0.33.0",
    how:
      "its API read from its PyPI source (engines/tests/api/vllm.json); the adapter tested against fakes built from it",
  },
  optionsSchema: vllmOptionsSchema,
  batching: "continuous",
  // Every option is a vllm.LLM keyword: all take effect at load.
  loadOptions: (options) => options,
  parallelism: parallelSizes,
  rules: (input) => brokenRules(input, RULES),
  starterSweep: {
    batchSizes: [1, 4, 16],
    lines: ["  # only vllm experiments:", "  vllm.gpu_memory_utilization: [0.8, 0.9]"],
  },
};
