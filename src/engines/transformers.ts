import { z } from "zod";
import type { EngineDefinition, EngineRuleInput, RuleViolation } from "./engine_definition.ts";
import { brokenRules, FLOAT_TYPES, violation } from "./engine_rule.ts";
import { extraOptions } from "./extra_options.ts";

/** Options for Hugging Face transformers that llem validates; `extra` passes anything else through. */
export const transformersOptionsSchema = z.strictObject({
  attn_implementation: z.enum(["sdpa", "flash_attention_2", "flash_attention_3", "eager"]).nullable().default(
    null,
  )
    .describe("attention kernel passed to from_pretrained; null = transformers' own choice"),
  torch_compile: z.boolean().default(false).describe("wrap the model in torch.compile"),
  torch_compile_mode: z.enum(["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"])
    .nullable().default(null).describe("torch.compile mode; needs torch_compile: true"),
  load_in_4bit: z.boolean().default(false).describe("4-bit quantisation with bitsandbytes"),
  load_in_8bit: z.boolean().default(false).describe("8-bit quantisation with bitsandbytes"),
  bnb_4bit_compute_dtype: z.enum(["float16", "bfloat16", "float32"]).nullable().default(null)
    .describe("compute dtype of 4-bit layers; needs load_in_4bit: true"),
  bnb_4bit_quant_type: z.enum(["nf4", "fp4"]).nullable().default(null)
    .describe("4-bit quantisation type; needs load_in_4bit: true"),
  use_cache: z.boolean().nullable().default(null)
    .describe("keep the KV cache between decoding steps; null = the model's generation config"),
  cache_implementation: z.enum(["static", "offloaded_static", "sliding_window"]).nullable().default(null)
    .describe("KV cache implementation for generate(); needs use_cache: true"),
  num_beams: z.int().min(1).max(64).nullable().default(null)
    .describe("beam search width; 1 = no beam search; null = the model's generation config"),
  device_map: z.string().min(1).nullable().default(null).describe(
    "device placement passed to from_pretrained (needs accelerate); null = the whole model on the first visible GPU",
  ),
  extra: extraOptions,
});

type Options = z.output<typeof transformersOptionsSchema>;

const RULES: ((input: EngineRuleInput<Options>) => RuleViolation | undefined)[] = [
  ({ options: o }) =>
    o.load_in_4bit && o.load_in_8bit
      ? violation(
        "transformers-4bit-and-8bit",
        "transformers.load_in_4bit",
        "load_in_4bit and load_in_8bit are both true",
        "choose one quantisation",
      )
      : undefined,
  ({ options: o }) =>
    !o.load_in_4bit && (o.bnb_4bit_compute_dtype !== null || o.bnb_4bit_quant_type !== null)
      ? violation(
        "transformers-bnb-4bit-without-4bit",
        "transformers.bnb_4bit_quant_type",
        "bnb_4bit_* options are set, but load_in_4bit is false",
        "set transformers.load_in_4bit: true, or remove the bnb_4bit_* options",
      )
      : undefined,
  ({ options: o }) =>
    !o.torch_compile && o.torch_compile_mode !== null
      ? violation(
        "transformers-compile-mode-without-compile",
        "transformers.torch_compile_mode",
        "torch_compile_mode is set, but torch_compile is false",
        "set transformers.torch_compile: true, or remove torch_compile_mode",
      )
      : undefined,
  ({ options: o }) =>
    o.use_cache === false && o.cache_implementation !== null
      ? violation(
        "transformers-cache-without-cache",
        "transformers.cache_implementation",
        "cache_implementation is set, but use_cache is false",
        "set transformers.use_cache: true, or remove cache_implementation",
      )
      : undefined,
  ({ options: o, gpus }) =>
    gpus.length > 1 && o.device_map === null
      ? violation(
        "transformers-gpus-without-device-map",
        "transformers.device_map",
        `gpus lists ${gpus.length} GPUs, but without device_map the whole model goes on the first: the others ` +
          "would be measured idle",
        "set transformers.device_map: auto (needs accelerate in the engine's Python), or list one GPU",
      )
      : undefined,
  ({ options: o, generation }) =>
    o.attn_implementation?.startsWith("flash_attention") && !FLOAT_TYPES.has(generation.dtype)
      ? violation(
        "transformers-flash-attention-dtype",
        "generation.dtype",
        `${o.attn_implementation} needs float16 or bfloat16, found dtype ${generation.dtype}`,
        "set generation.dtype to float16 or bfloat16, or use attn_implementation: sdpa",
      )
      : undefined,
];

/** Hugging Face transformers: eager PyTorch generation, static batches. */
export const transformers: EngineDefinition<Options> = {
  id: "transformers",
  displayName: "Hugging Face transformers",
  defaultImage: "huggingface/transformers-pytorch-gpu:4.46.3",
  pythonPackage: "transformers",
  offlineEnv: {},
  checked: {
    version: "5.24.0",
    how: "run end to end by llem on the CPU in CI (torch 2.13.0); the default image's 4.46 only in unit " +
      "tests (its torch_dtype keyword)",
  },
  optionsSchema: transformersOptionsSchema,
  batching: "static",
  // The adapter takes every option at load, generate()'s (num_beams, use_cache, cache_implementation) too:
  // the harness's prepare carries no engine options, so runs that differ in any need their own session.
  loadOptions: (options) => options,
  // One process, one model: device_map spreads layers over the visible GPUs without parallel sizes.
  parallelism: () => ({ tensor: 1, pipeline: 1 }),
  rules: (input) => brokenRules(input, RULES),
  starterSweep: {
    batchSizes: [1, 4, 16],
    lines: [
      "  # a group: each mapping is one alternative",
      "  precision:",
      "    - {}",
      "    - {generation.dtype: float16}",
    ],
  },
};
