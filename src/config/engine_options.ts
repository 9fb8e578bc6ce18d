import { z } from "zod";

const passthrough = z.record(z.string(), z.unknown()).default({}).describe(
  "further engine keyword arguments passed through unvalidated (names as in the engine's own API)",
);

/** Options for Hugging Face transformers that llem validates; `extra` passes anything else through. */
export const transformersOptionsSchema = z.strictObject({
  attn_implementation: z.enum(["sdpa", "flash_attention_2", "flash_attention_3", "eager"]).default("sdpa")
    .describe("attention kernel passed to from_pretrained"),
  torch_compile: z.boolean().default(false).describe("wrap the model in torch.compile"),
  torch_compile_mode: z.enum(["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"])
    .nullable().default(null).describe("torch.compile mode; needs torch_compile: true"),
  load_in_4bit: z.boolean().default(false).describe("4-bit quantisation with bitsandbytes"),
  load_in_8bit: z.boolean().default(false).describe("8-bit quantisation with bitsandbytes"),
  bnb_4bit_compute_dtype: z.enum(["float16", "bfloat16", "float32"]).nullable().default(null)
    .describe("compute dtype of 4-bit layers; needs load_in_4bit: true"),
  bnb_4bit_quant_type: z.enum(["nf4", "fp4"]).nullable().default(null)
    .describe("4-bit quantisation type; needs load_in_4bit: true"),
  use_cache: z.boolean().default(true).describe("keep the KV cache between decoding steps"),
  cache_implementation: z.enum(["static", "offloaded_static", "sliding_window"]).nullable().default(null)
    .describe("KV cache implementation for generate(); needs use_cache: true"),
  num_beams: z.int().min(1).max(64).default(1).describe("beam search width; 1 = no beam search"),
  device_map: z.string().min(1).default("auto").describe("device placement passed to from_pretrained"),
  extra: passthrough,
});

/** Options for vLLM's offline engine that llem validates; `extra` passes anything else through. */
export const vllmOptionsSchema = z.strictObject({
  gpu_memory_utilization: z.number().gt(0).lt(1).default(0.9)
    .describe("fraction of GPU memory vLLM may claim for weights and KV cache"),
  max_num_seqs: z.int().min(1).nullable().default(null).describe("most sequences scheduled at once"),
  max_num_batched_tokens: z.int().min(1).nullable().default(null).describe("most tokens per scheduler step"),
  max_model_len: z.int().min(1).nullable().default(null).describe("context length; null = the model's own"),
  block_size: z.union([z.literal(8), z.literal(16), z.literal(32)]).nullable().default(null)
    .describe("KV cache block size in tokens"),
  kv_cache_dtype: z.enum(["auto", "fp8", "fp8_e5m2", "fp8_e4m3"]).default("auto").describe("KV cache dtype"),
  enforce_eager: z.boolean().default(false).describe("disable CUDA graphs"),
  enable_chunked_prefill: z.boolean().nullable().default(null).describe("split long prefills into chunks"),
  enable_prefix_caching: z.boolean().nullable().default(null).describe(
    "reuse KV cache across shared prefixes",
  ),
  tensor_parallel_size: z.int().min(1).max(64).default(1).describe("GPUs per pipeline stage"),
  pipeline_parallel_size: z.int().min(1).max(64).default(1).describe("pipeline stages"),
  quantization: z.enum(["awq", "gptq", "fp8", "marlin", "bitsandbytes"]).nullable().default(null)
    .describe("weight quantisation method"),
  cpu_offload_gb: z.number().min(0).default(0).describe("GiB of weights offloaded to CPU memory"),
  extra: passthrough,
});

/** Options for TensorRT-LLM's LLM API that llem validates; `extra` passes anything else through. */
export const tensorrtOptionsSchema = z.strictObject({
  backend: z.enum(["pytorch", "trt", "_autodeploy"]).default("pytorch").describe("TensorRT-LLM backend"),
  max_batch_size: z.int().min(1).default(8).describe("largest batch the engine is built for"),
  max_input_len: z.int().min(1).default(1024).describe("longest prompt in tokens the engine accepts"),
  max_seq_len: z.int().min(2).default(2048).describe("longest prompt plus output in tokens"),
  max_num_tokens: z.int().min(1).default(8192).describe("most tokens per scheduler step"),
  tensor_parallel_size: z.int().min(1).max(64).default(1).describe("GPUs per pipeline stage"),
  pipeline_parallel_size: z.int().min(1).max(64).default(1).describe("pipeline stages"),
  quant_algo: z.enum(["FP8", "INT8", "W4A16_AWQ", "W4A16_GPTQ", "W8A16", "W4A8_AWQ"]).nullable().default(null)
    .describe("weight quantisation algorithm; needs backend: trt"),
  kv_cache_quant_algo: z.enum(["FP8", "INT8"]).nullable().default(null).describe("KV cache quantisation"),
  kv_cache_free_gpu_memory_fraction: z.number().gt(0).max(1).default(0.9)
    .describe("fraction of free GPU memory for the KV cache"),
  fast_build: z.boolean().default(false).describe("faster engine build, slower engine; needs backend: trt"),
  extra: passthrough,
});

/** Each engine's options schema, by engine id. */
export const ENGINE_OPTIONS_SCHEMAS = {
  transformers: transformersOptionsSchema,
  vllm: vllmOptionsSchema,
  tensorrt: tensorrtOptionsSchema,
} as const;
