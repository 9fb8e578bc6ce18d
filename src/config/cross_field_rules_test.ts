import assert from "node:assert/strict";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { checkCrossFieldRules, type RuleViolation } from "./cross_field_rules.ts";
import { type ExperimentConfig, experimentSchema } from "./experiment_config.ts";
import { deepMerge } from "./deep_merge.ts";
import type { PlainObject } from "./plain_object.ts";

/** A resolved config: the model plus `overrides`, defaults applied by the schema. */
function config(overrides: PlainObject = {}): ExperimentConfig {
  return experimentSchema.parse({ model: "org/model", ...overrides });
}

/** The config of `base` with `fix` merged over it, as a resolved config. */
function fixed(base: PlainObject, fix: PlainObject): ExperimentConfig {
  return config(deepMerge(base, fix));
}

function rules(c: ExperimentConfig): string[] {
  return checkCrossFieldRules(c).map((v) => v.rule);
}

/** The one violation of `rule` the config breaks (fails when absent or repeated). */
function only(c: ExperimentConfig, rule: string): RuleViolation {
  const found = checkCrossFieldRules(c).filter((v) => v.rule === rule);
  assert.equal(found.length, 1, `expected rule ${rule} once, got ${JSON.stringify(rules(c))}`);
  return found[0]!;
}

/** Asserts `base` breaks exactly `rule`, and that applying `fix` (when given) makes it valid. */
function expectRule(base: PlainObject, rule: string, fix?: PlainObject): RuleViolation {
  const broken = config(base);
  assert.deepEqual(rules(broken), [rule]);
  const v = only(broken, rule);
  assert.ok(v.path.length > 0 && v.message.length > 0 && v.hint.length > 0);
  if (fix) assert.deepEqual(checkCrossFieldRules(fixed(base, fix)), [], `fix ${JSON.stringify(fix)}`);
  return v;
}

// ---------------------------------------------------------------- valid configs

Deno.test("checkCrossFieldRules finds nothing wrong with a default config", () => {
  assert.deepEqual(checkCrossFieldRules(config()), []);
});

Deno.test("checkCrossFieldRules accepts default engine sections for the matching engine", () => {
  assert.deepEqual(checkCrossFieldRules(config({ engine: "transformers", transformers: {} })), []);
  assert.deepEqual(checkCrossFieldRules(config({ engine: "vllm", vllm: {} })), []);
  assert.deepEqual(checkCrossFieldRules(config({ engine: "tensorrt", tensorrt: {} })), []);
  assert.deepEqual(checkCrossFieldRules(config({ engine: "vllm" })), []);
  assert.deepEqual(checkCrossFieldRules(config({ engine: "tensorrt" })), []);
});

Deno.test("checkCrossFieldRules accepts a richly configured but consistent config", () => {
  const c = config({
    engine: "vllm",
    gpus: [0, 1, 2, 3],
    dataset: { source: "jsonl", path: "prompts.jsonl" },
    generation: { max_input_tokens: 1024, max_new_tokens: 512, dtype: "float16" },
    measurement: {
      methodology: "windowed",
      window_seconds: [5, 30],
      warmup: { mode: "converged", n_requests: 10, max_requests: 10 },
      thermal_floor: { min_seconds: 30, max_seconds: 30 },
    },
    vllm: {
      tensor_parallel_size: 2,
      pipeline_parallel_size: 2,
      max_model_len: 1536,
      max_num_batched_tokens: 1536,
    },
  });
  assert.deepEqual(checkCrossFieldRules(c), []);
});

Deno.test("checkCrossFieldRules reports every broken rule, each as its own violation", () => {
  const c = config({
    dataset: { source: "parquet" },
    measurement: { methodology: "windowed", thermal_floor: { min_seconds: 100, max_seconds: 50 } },
    transformers: { load_in_4bit: true, load_in_8bit: true },
  });
  assert.deepEqual(rules(c), [
    "dataset-path-missing",
    "window-missing",
    "thermal-floor-bounds",
    "transformers-4bit-and-8bit",
  ]);
});

// ---------------------------------------------------------------- dataset

Deno.test("rule dataset-path-missing: file sources need dataset.path", () => {
  for (const source of ["jsonl", "parquet"]) {
    const v = expectRule({ dataset: { source } }, "dataset-path-missing", { dataset: { path: "p.data" } });
    assert.equal(v.path, "dataset.path");
    assert.match(v.message, new RegExp(source));
  }
});

Deno.test("rule dataset-path-unused: synthetic prompts with a dataset.path", () => {
  const base = { dataset: { path: "prompts.jsonl" } };
  const v = expectRule(base, "dataset-path-unused", { dataset: { source: "jsonl" } });
  assert.equal(v.path, "dataset.path");
  // The other fix in the hint: remove the path.
  assert.deepEqual(checkCrossFieldRules(config({ dataset: { path: null } })), []);
});

Deno.test("rule synthetic-prompt-truncated: synthetic prompts longer than max_input_tokens", () => {
  const base = { dataset: { input_len_tokens: 256 }, generation: { max_input_tokens: 100 } };
  const v = expectRule(base, "synthetic-prompt-truncated", { generation: { max_input_tokens: 256 } });
  assert.equal(v.path, "dataset.input_len_tokens");
  assert.match(v.message, /256/);
  assert.match(v.message, /100/);
  // Lowering the prompt length also fixes it; file datasets are not checked.
  assert.deepEqual(checkCrossFieldRules(fixed(base, { dataset: { input_len_tokens: 100 } })), []);
  assert.deepEqual(
    rules(fixed(base, { dataset: { source: "jsonl", path: "p.jsonl" } })),
    [],
  );
});

// ---------------------------------------------------------------- measurement

Deno.test("rule window-missing: windowed methodology without window_seconds", () => {
  const v = expectRule({ measurement: { methodology: "windowed" } }, "window-missing", {
    measurement: { window_seconds: [0, 10] },
  });
  assert.equal(v.path, "measurement.window_seconds");
});

Deno.test("rule window-unused: window_seconds with a non-windowed methodology", () => {
  for (const methodology of ["total", "steady_state"]) {
    const base = { measurement: { methodology, window_seconds: [0, 10] } };
    const v = expectRule(base, "window-unused", { measurement: { methodology: "windowed" } });
    assert.equal(v.path, "measurement.window_seconds");
    assert.match(v.message, new RegExp(methodology));
  }
});

Deno.test("rule window-empty: the window's start is not before its end", () => {
  for (const window of [[10, 10], [20, 5]]) {
    const base = { measurement: { methodology: "windowed", window_seconds: window } };
    const v = expectRule(base, "window-empty");
    assert.equal(v.path, "measurement.window_seconds");
    assert.deepEqual(
      rules(config({ measurement: { methodology: "windowed", window_seconds: [5, 20] } })),
      [],
    );
  }
});

Deno.test("rule window-empty also fires alongside window-unused when both apply", () => {
  assert.deepEqual(rules(config({ measurement: { window_seconds: [9, 3] } })), [
    "window-unused",
    "window-empty",
  ]);
});

Deno.test("rule warmup-cap-below-minimum: converged warmup with max_requests below n_requests", () => {
  const base = { measurement: { warmup: { mode: "converged", n_requests: 30, max_requests: 20 } } };
  const v = expectRule(base, "warmup-cap-below-minimum", { measurement: { warmup: { max_requests: 30 } } });
  assert.equal(v.path, "measurement.warmup.max_requests");
  assert.match(v.message, /20/);
  assert.match(v.message, /30/);
  // Fixed warmup ignores max_requests.
  assert.deepEqual(checkCrossFieldRules(fixed(base, { measurement: { warmup: { mode: "fixed" } } })), []);
});

Deno.test("rule thermal-floor-bounds: thermal_floor.max_seconds below min_seconds", () => {
  const base = { measurement: { thermal_floor: { min_seconds: 60, max_seconds: 30 } } };
  const v = expectRule(base, "thermal-floor-bounds", { measurement: { thermal_floor: { max_seconds: 60 } } });
  assert.equal(v.path, "measurement.thermal_floor.max_seconds");
});

// ---------------------------------------------------------------- engine sections

Deno.test("rule engine-section-mismatch: options for an engine the experiment does not use", () => {
  const v = expectRule({ engine: "vllm", transformers: {} }, "engine-section-mismatch", {
    engine: "transformers",
  });
  assert.equal(v.path, "transformers");
  assert.match(v.message, /vllm/);
  assert.match(v.hint, /engine: transformers/);

  const w = expectRule({ vllm: {} }, "engine-section-mismatch", { engine: "vllm" });
  assert.equal(w.path, "vllm");

  const x = expectRule({ engine: "vllm", tensorrt: {} }, "engine-section-mismatch", { engine: "tensorrt" });
  assert.equal(x.path, "tensorrt");
});

// ---------------------------------------------------------------- transformers

Deno.test("rule transformers-4bit-and-8bit: both bitsandbytes quantisations at once", () => {
  const base = { transformers: { load_in_4bit: true, load_in_8bit: true } };
  const v = expectRule(base, "transformers-4bit-and-8bit", { transformers: { load_in_8bit: false } });
  assert.equal(v.path, "transformers.load_in_4bit");
  assert.deepEqual(checkCrossFieldRules(fixed(base, { transformers: { load_in_4bit: false } })), []);
});

Deno.test("rule transformers-bnb-4bit-without-4bit: bnb_4bit_* options without load_in_4bit", () => {
  const quant = { transformers: { bnb_4bit_quant_type: "nf4" } };
  const v = expectRule(quant, "transformers-bnb-4bit-without-4bit", { transformers: { load_in_4bit: true } });
  assert.equal(v.path, "transformers.bnb_4bit_quant_type");
  const compute = { transformers: { bnb_4bit_compute_dtype: "bfloat16" } };
  expectRule(compute, "transformers-bnb-4bit-without-4bit", { transformers: { load_in_4bit: true } });
  assert.deepEqual(checkCrossFieldRules(config({ transformers: { load_in_8bit: true } })), []);
});

Deno.test("rule transformers-compile-mode-without-compile: torch_compile_mode without torch_compile", () => {
  const base = { transformers: { torch_compile_mode: "max-autotune" } };
  const v = expectRule(base, "transformers-compile-mode-without-compile", {
    transformers: { torch_compile: true },
  });
  assert.equal(v.path, "transformers.torch_compile_mode");
});

Deno.test("rule transformers-cache-without-cache: cache_implementation with use_cache false", () => {
  const base = { transformers: { use_cache: false, cache_implementation: "static" } };
  const v = expectRule(base, "transformers-cache-without-cache", { transformers: { use_cache: true } });
  assert.equal(v.path, "transformers.cache_implementation");
  assert.deepEqual(checkCrossFieldRules(config({ transformers: { use_cache: false } })), []);
});

Deno.test("rule transformers-gpus-without-device-map: several GPUs need a device_map to be used", () => {
  const base = { gpus: [0, 1], transformers: {} };
  const v = expectRule(base, "transformers-gpus-without-device-map", {
    transformers: { device_map: "auto" },
  });
  assert.match(v.message, /2 GPUs/);
  assert.deepEqual(checkCrossFieldRules(fixed(base, { gpus: [0] })), []);
});

Deno.test("rule transformers-flash-attention-dtype: flash attention needs float16 or bfloat16", () => {
  for (const attn of ["flash_attention_2", "flash_attention_3"]) {
    for (const dtype of ["float32", "auto"]) {
      const base = { generation: { dtype }, transformers: { attn_implementation: attn } };
      const v = expectRule(base, "transformers-flash-attention-dtype", { generation: { dtype: "bfloat16" } });
      assert.equal(v.path, "generation.dtype");
      assert.match(v.message, new RegExp(attn));
      assert.match(v.message, new RegExp(dtype));
      assert.deepEqual(checkCrossFieldRules(fixed(base, { generation: { dtype: "float16" } })), []);
      assert.deepEqual(
        checkCrossFieldRules(fixed(base, { transformers: { attn_implementation: "sdpa" } })),
        [],
      );
    }
  }
});

// ---------------------------------------------------------------- vLLM

Deno.test("rule vllm-parallelism-gpus: tensor x pipeline parallel size must equal the GPU count", () => {
  const base = { engine: "vllm", vllm: { tensor_parallel_size: 2, pipeline_parallel_size: 2 } };
  const v = expectRule(base, "vllm-parallelism-gpus", { gpus: [0, 1, 2, 3] });
  assert.equal(v.path, "vllm.tensor_parallel_size");
  assert.match(v.message, /= 4 GPU/);
  assert.match(v.message, /lists 1/);
  assert.match(v.hint, /list 4 GPU/);
  // Too many GPUs is also a mismatch.
  assert.deepEqual(rules(config({ engine: "vllm", vllm: {}, gpus: [0, 1] })), ["vllm-parallelism-gpus"]);
  assert.deepEqual(
    rules(config({ engine: "vllm", vllm: { tensor_parallel_size: 2 }, gpus: ["GPU-a", "GPU-b"] })),
    [],
  );
});

Deno.test("rule vllm-batched-tokens-below-model-len: batched tokens under model length without chunked prefill", () => {
  const base = {
    engine: "vllm",
    vllm: { max_model_len: 4096, max_num_batched_tokens: 2048 },
  };
  const v = expectRule(base, "vllm-batched-tokens-below-model-len", {
    vllm: { enable_chunked_prefill: true },
  });
  assert.equal(v.path, "vllm.max_num_batched_tokens");
  assert.match(v.message, /2048/);
  assert.match(v.message, /4096/);
  assert.deepEqual(
    rules(fixed(base, { vllm: { enable_chunked_prefill: false } })),
    ["vllm-batched-tokens-below-model-len"],
  );
  assert.deepEqual(checkCrossFieldRules(fixed(base, { vllm: { max_num_batched_tokens: 4096 } })), []);
});

Deno.test("rule vllm-model-len-too-short: prompt plus output exceeds max_model_len", () => {
  // Default synthetic prompts are 128 tokens and max_new_tokens is 128: 256 in all.
  const base = { engine: "vllm", vllm: { max_model_len: 255 } };
  const v = expectRule(base, "vllm-model-len-too-short", { vllm: { max_model_len: 256 } });
  assert.equal(v.path, "vllm.max_model_len");
  assert.match(v.message, /256 tokens/);
  assert.match(v.message, /255/);
  assert.deepEqual(checkCrossFieldRules(fixed(base, { generation: { max_new_tokens: 127 } })), []);
});

Deno.test("rule vllm-model-len-too-short counts max_input_tokens as the prompt for file datasets", () => {
  const file = { dataset: { source: "jsonl", path: "p.jsonl" } };
  const base = {
    ...file,
    engine: "vllm",
    vllm: { max_model_len: 600 },
    generation: { max_input_tokens: 500 },
  };
  const v = only(config(base), "vllm-model-len-too-short");
  assert.match(v.message, /628 tokens/);
  // Without max_input_tokens, only the output is counted.
  assert.deepEqual(rules(config({ ...file, engine: "vllm", vllm: { max_model_len: 128 } })), []);
  assert.deepEqual(rules(config({ ...file, engine: "vllm", vllm: { max_model_len: 127 } })), [
    "vllm-model-len-too-short",
  ]);
});

// ---------------------------------------------------------------- TensorRT-LLM

Deno.test("rule tensorrt-parallelism-gpus: tensor x pipeline parallel size must equal the GPU count", () => {
  const base = { engine: "tensorrt", tensorrt: { tensor_parallel_size: 2 } };
  const v = expectRule(base, "tensorrt-parallelism-gpus", { gpus: [0, 1] });
  assert.equal(v.path, "tensorrt.tensor_parallel_size");
  assert.match(v.message, /= 2 GPU/);
});

Deno.test("rule tensorrt-dtype: TensorRT-LLM does not run float32", () => {
  const base = { engine: "tensorrt", generation: { dtype: "float32" } };
  const v = expectRule(base, "tensorrt-dtype", { generation: { dtype: "float16" } });
  assert.equal(v.path, "generation.dtype");
  for (const dtype of ["bfloat16", "auto"]) {
    assert.deepEqual(checkCrossFieldRules(fixed(base, { generation: { dtype } })), []);
  }
  // float32 is fine for other engines.
  assert.deepEqual(checkCrossFieldRules(config({ engine: "vllm", generation: { dtype: "float32" } })), []);
});

Deno.test("rule tensorrt-batch-too-large: batch_size above tensorrt.max_batch_size", () => {
  const base = { engine: "tensorrt", tensorrt: { max_batch_size: 8 }, generation: { batch_size: 9 } };
  const v = expectRule(base, "tensorrt-batch-too-large", { tensorrt: { max_batch_size: 9 } });
  assert.equal(v.path, "generation.batch_size");
  assert.match(v.message, /\(9\)/);
  assert.match(v.message, /\(8\)/);
  assert.deepEqual(checkCrossFieldRules(fixed(base, { generation: { batch_size: 8 } })), []);
});

Deno.test("rule tensorrt-seq-len-too-short: prompt plus output exceeds tensorrt.max_seq_len", () => {
  const base = { engine: "tensorrt", tensorrt: { max_seq_len: 200 } };
  const v = expectRule(base, "tensorrt-seq-len-too-short", { tensorrt: { max_seq_len: 256 } });
  assert.equal(v.path, "tensorrt.max_seq_len");
  assert.match(v.message, /256 tokens/);
  // Unset, max_seq_len and max_batch_size are TensorRT-LLM's own (from the model): nothing to check here.
  assert.deepEqual(
    rules(config({ engine: "tensorrt", tensorrt: {}, dataset: { input_len_tokens: 2000 } })),
    [],
  );
});

Deno.test("rule tensorrt-trt-only-option: quant_algo and fast_build need backend trt", () => {
  const quant = { engine: "tensorrt", tensorrt: { quant_algo: "FP8" } };
  const v = expectRule(quant, "tensorrt-trt-only-option", { tensorrt: { backend: "trt" } });
  assert.equal(v.path, "tensorrt.quant_algo");
  assert.match(v.message, /quant_algo needs backend trt, found pytorch/);

  const fast = { engine: "tensorrt", tensorrt: { backend: "_autodeploy", fast_build: true } };
  const w = expectRule(fast, "tensorrt-trt-only-option", { tensorrt: { backend: "trt" } });
  assert.equal(w.path, "tensorrt.fast_build");
  assert.match(w.message, /fast_build needs backend trt, found _autodeploy/);
});

// ---------------------------------------------------------------- coverage of the rule list

Deno.test("every rule id in cross_field_rules.ts and the engine modules has a test named after it", async () => {
  const files = ["./cross_field_rules.ts", ...ENGINE_IDS.map((id) => `../engines/${id}.ts`)];
  const sources = await Promise.all(files.map((file) => Deno.readTextFile(new URL(file, import.meta.url))));
  const source = sources.join("\n");
  const tests = await Deno.readTextFile(new URL(import.meta.url));
  const ids = new Set([...source.matchAll(/^\s+"([a-z0-9]+(?:-[a-z0-9]+)+)",$/gm)].map((m) => m[1]!));
  for (const engine of ENGINE_IDS) {
    if (source.includes(`parallelismRule("${engine}"`)) ids.add(`${engine}-parallelism-gpus`);
  }
  assert.ok(ids.size >= 20, `found only ${ids.size} rule ids: ${[...ids]}`);
  assert.deepEqual([...ids].filter((id) => !tests.includes(`Deno.test("rule ${id}:`)), []);
});
