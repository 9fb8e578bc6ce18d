import assert from "node:assert/strict";
import { memoryFiles } from "../../tests/memory_files.ts";
import { planStudy } from "./plan_study.ts";

// A fixed experiment whose hash is part of llem's contract: result directories and resume depend on it.
// If this test fails, the canonical form or the defaults changed, and every existing result's identity
// with them: never by accident. The golden values last changed when engine options stopped overriding the
// engines' own defaults (vllm.gpu_memory_utilization 0.9 became null: vLLM's own 0.92), which changes what
// is measured; a study planned before then is refused on resume, naming the changed keys.
const GOLDEN_YAML = `
model: Qwen/Qwen2.5-0.5B
engine: vllm
dataset: {n_prompts: 50, input_len_tokens: 64}
generation: {batch_size: 8, max_new_tokens: 32, ignore_eos: true}
vllm: {gpu_memory_utilization: 0.85}
`;
const GOLDEN_MEASUREMENT_HASH = "b23c40d3d4b5b145";
const GOLDEN_DESIGN_HASH = "e3fbc4aac0e006dd";

function planOf(text: string, path = "study.yaml") {
  return planStudy(path, memoryFiles({ [path]: text }));
}

Deno.test("measurement_config_hash and study_design_hash of a fixed config match their golden values", () => {
  const plan = planOf(GOLDEN_YAML);
  assert.equal(plan.experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
  assert.equal(plan.study_design_hash, GOLDEN_DESIGN_HASH);
});

Deno.test("measurement_config_hash ignores key order", () => {
  const reordered = `
vllm: {gpu_memory_utilization: 0.85}
generation: {ignore_eos: true, max_new_tokens: 32, batch_size: 8}
dataset: {input_len_tokens: 64, n_prompts: 50}
engine: vllm
model: Qwen/Qwen2.5-0.5B
`;
  assert.equal(planOf(reordered).experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
});

Deno.test("measurement_config_hash is the same for YAML and JSON", () => {
  const json = JSON.stringify({
    model: "Qwen/Qwen2.5-0.5B",
    engine: "vllm",
    dataset: { n_prompts: 50, input_len_tokens: 64 },
    generation: { batch_size: 8, max_new_tokens: 32, ignore_eos: true },
    vllm: { gpu_memory_utilization: 0.85 },
  });
  assert.equal(planOf(json, "study.json").experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
});

Deno.test("measurement_config_hash treats 1 and 1.0 alike", () => {
  const floats = GOLDEN_YAML.replace("batch_size: 8", "batch_size: 8.0").replace(
    "n_prompts: 50",
    "n_prompts: 50.0",
  );
  assert.notEqual(floats, GOLDEN_YAML);
  assert.equal(planOf(floats).experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
});

Deno.test("measurement_config_hash equals spelling out the defaults", () => {
  const explicit = GOLDEN_YAML + "measurement: {sample_interval_ms: 100, methodology: total}\n";
  assert.equal(planOf(explicit).experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
});

Deno.test("measurement_config_hash leaves out where the experiment runs", () => {
  const elsewhere = GOLDEN_YAML +
    "runner: docker\nimage: vllm/vllm-openai:v0.9.0\ngpus: [3]\nallow_network: true\n" +
    "execution: {output_dir: /scratch/results, n_cycles: 5}\nname: elsewhere\n";
  const plan = planOf(elsewhere);
  assert.equal(plan.experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
  assert.equal(plan.study_design_hash, GOLDEN_DESIGN_HASH);
});

Deno.test("measurement_config_hash changes with anything that is measured", () => {
  for (const change of ["batch_size: 9", "max_new_tokens: 33", "ignore_eos: false"]) {
    const [key] = change.split(":");
    const changed = GOLDEN_YAML.replace(new RegExp(`${key}: [^,}]+`), change);
    assert.notEqual(changed, GOLDEN_YAML);
    assert.notEqual(planOf(changed).experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH, change);
  }
  const sampled = GOLDEN_YAML + "measurement: {sample_interval_ms: 50}\n";
  assert.notEqual(planOf(sampled).experiments[0]!.measurement_config_hash, GOLDEN_MEASUREMENT_HASH);
});

Deno.test("study_design_hash depends on the order of the unique experiments", () => {
  const a = planOf("model: m\nsweep:\n  generation.batch_size: [1, 2]\n");
  const b = planOf("model: m\nsweep:\n  generation.batch_size: [2, 1]\n");
  assert.deepEqual(
    new Set(a.experiments.map((e) => e.measurement_config_hash)),
    new Set(b.experiments.map((e) => e.measurement_config_hash)),
  );
  assert.notEqual(a.study_design_hash, b.study_design_hash);
});

Deno.test("study_design_hash is the same however the run order is chosen", () => {
  const base = "model: m\nsweep:\n  generation.batch_size: [1, 2, 3]\n";
  const hashes = new Set(
    ["sequential", "interleave", "shuffle", "reverse", "latin_square"].map((order) =>
      planOf(`${base}execution: {order: ${order}, n_cycles: 3}\n`).study_design_hash
    ),
  );
  assert.equal(hashes.size, 1);
});
