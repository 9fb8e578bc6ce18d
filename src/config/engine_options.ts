import { z } from "zod";

const passthrough = z.record(z.string(), z.unknown()).default({}).describe(
  "further engine keyword arguments passed through unvalidated (names as in the engine's own API)",
);

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
  extra: passthrough,
});

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
  extra: passthrough,
});

/** Options for TensorRT-LLM's LLM API that llem validates; `extra` passes anything else through. */
export const tensorrtOptionsSchema = z.strictObject({
  backend: z.enum(["pytorch", "trt", "_autodeploy"]).default("pytorch").describe("TensorRT-LLM backend"),
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
  extra: passthrough,
});

/** Each engine's options schema, by engine id. */
export const ENGINE_OPTIONS_SCHEMAS = {
  transformers: transformersOptionsSchema,
  vllm: vllmOptionsSchema,
  tensorrt: tensorrtOptionsSchema,
} as const;
