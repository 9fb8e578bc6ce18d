import { z } from "zod";
import type { EngineDefinition, EngineRuleInput, RuleViolation } from "./engine_definition.ts";
import { brokenRules, parallelismRule, parallelSizes, requestTokens, violation } from "./engine_rule.ts";
import { extraOptions } from "./extra_options.ts";

/** Options for TensorRT-LLM's LLM API that llem validates; `extra` passes anything else through. */
export const tensorrtOptionsSchema = z.strictObject({
  backend: z.enum(["pytorch", "trt", "_autodeploy"]).default("pytorch").describe(
    "which LLM class runs the model: pytorch (tensorrt_llm.LLM), _autodeploy or trt (a TensorRT engine)",
  ),
  max_batch_size: z.int().min(1).nullable().default(null)
    .describe("largest batch the engine schedules; null = TensorRT-LLM's own"),
  max_input_len: z.int().min(1).nullable().default(null)
    .describe("longest prompt in tokens the engine accepts; null = TensorRT-LLM's own"),
  max_seq_len: z.int().min(2).nullable().default(null)
    .describe("longest prompt plus output in tokens; null = TensorRT-LLM's own (from the model)"),
  max_num_tokens: z.int().min(1).nullable().default(null)
    .describe("most tokens per scheduler step; null = TensorRT-LLM's own"),
  tensor_parallel_size: z.int().min(1).max(64).nullable().default(null)
    .describe("GPUs per pipeline stage; null = TensorRT-LLM's own (1)"),
  pipeline_parallel_size: z.int().min(1).max(64).nullable().default(null)
    .describe("pipeline stages; null = TensorRT-LLM's own (1)"),
  quant_algo: z.enum(["FP8", "INT8", "W4A16_AWQ", "W4A16_GPTQ", "W8A16", "W4A8_AWQ"]).nullable().default(null)
    .describe("weight quantisation algorithm; needs backend: trt"),
  kv_cache_quant_algo: z.enum(["FP8", "INT8"]).nullable().default(null).describe("KV cache quantisation"),
  kv_cache_free_gpu_memory_fraction: z.number().gt(0).max(1).nullable().default(null)
    .describe("fraction of free GPU memory for the KV cache; null = TensorRT-LLM's own"),
  fast_build: z.boolean().default(false).describe("faster engine build, slower engine; needs backend: trt"),
  extra: extraOptions,
});

type Options = z.output<typeof tensorrtOptionsSchema>;

const RULES: ((input: EngineRuleInput<Options>) => RuleViolation | undefined)[] = [
  ({ options, gpus }) => parallelismRule("tensorrt", parallelSizes(options), gpus),
  ({ generation }) =>
    generation.dtype === "float32"
      ? violation(
        "tensorrt-dtype",
        "generation.dtype",
        "TensorRT-LLM runs float16 or bfloat16, found float32",
        "set generation.dtype to float16, bfloat16 or auto",
      )
      : undefined,
  ({ options: o, generation }) =>
    o.max_batch_size !== null && generation.batch_size > o.max_batch_size
      ? violation(
        "tensorrt-batch-too-large",
        "generation.batch_size",
        `generation.batch_size (${generation.batch_size}) exceeds tensorrt.max_batch_size (${o.max_batch_size})`,
        "raise tensorrt.max_batch_size or lower generation.batch_size",
      )
      : undefined,
  (input) =>
    input.options.max_seq_len !== null && requestTokens(input) > input.options.max_seq_len
      ? violation(
        "tensorrt-seq-len-too-short",
        "tensorrt.max_seq_len",
        `prompt plus output (${
          requestTokens(input)
        } tokens) exceeds tensorrt.max_seq_len (${input.options.max_seq_len})`,
        "raise tensorrt.max_seq_len, or shorten prompts or max_new_tokens",
      )
      : undefined,
  ({ options: o }) =>
    o.backend !== "trt" && (o.quant_algo !== null || o.fast_build)
      ? violation(
        "tensorrt-trt-only-option",
        o.quant_algo !== null ? "tensorrt.quant_algo" : "tensorrt.fast_build",
        `${o.quant_algo !== null ? "quant_algo" : "fast_build"} needs backend trt, found ${o.backend}`,
        "set tensorrt.backend: trt, or remove the option",
      )
      : undefined,
];

/** TensorRT-LLM's LLM API (PyTorch backend by default). */
export const tensorrt: EngineDefinition<Options> = {
  id: "tensorrt",
  displayName: "TensorRT-LLM",
  defaultImage: "nvcr.io/nvidia/tensorrt-llm/release:1.0.0",
  pythonPackage: "tensorrt_llm",
  offlineEnv: {},
  checked: {
    version: "unchecked",
    how: "unit tests against fakes only, their backend classes and defaults read by hand from its public " +
      "GitHub source: PyPI has only a placeholder source distribution and NVIDIA's index is not reachable here",
  },
  optionsSchema: tensorrtOptionsSchema,
  batching: "single_call",
  // Every option is an LLM (or KvCacheConfig, QuantConfig) argument: all take effect at load.
  loadOptions: (options) => options,
  parallelism: parallelSizes,
  rules: (input) => brokenRules(input, RULES),
  starterSweep: {
    batchSizes: [1, 4, 8],
    lines: ["  # only tensorrt experiments:", "  tensorrt.max_num_tokens: [4096, 8192]"],
  },
};
