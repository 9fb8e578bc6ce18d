import assert from "node:assert/strict";
import { ENGINE_IDS } from "./engine_id.ts";
import { ENGINES, HARNESS_VERSION } from "./engine_registry.ts";

const repo = new URL("../../", import.meta.url);

Deno.test("every engine id has a definition, an adapter folder and a pinned image", () => {
  for (const id of ENGINE_IDS) {
    assert.equal(ENGINES[id].id, id);
    assert.ok(!ENGINES[id].defaultImage.endsWith(":latest") && ENGINES[id].defaultImage.includes(":"), id);
    assert.ok(Deno.statSync(new URL(`engines/${id}/`, repo)).isDirectory, `engines/${id}/ is missing`);
  }
});

Deno.test("the host's harness version equals harness.py's", () => {
  const python = Deno.readTextFileSync(new URL("engines/harness.py", repo));
  assert.equal(/^HARNESS_VERSION = "([^"]+)"/m.exec(python)?.[1], HARNESS_VERSION);
});

Deno.test("each engine module owns its options: unset values are left to the engine", () => {
  for (const id of ENGINE_IDS) {
    const defaults = ENGINES[id].optionsSchema.parse({}) as Record<string, unknown>;
    assert.deepEqual(defaults.extra, {}, id);
    assert.ok(ENGINES[id].checked.version && ENGINES[id].checked.how, id);
  }
  assert.equal(ENGINES.vllm.optionsSchema.parse({}).gpu_memory_utilization, null);
  assert.equal(ENGINES.tensorrt.optionsSchema.parse({}).max_batch_size, null);
  assert.equal(ENGINES.transformers.optionsSchema.parse({}).device_map, null);
});

Deno.test("every engine option takes effect at load: the harness sends engine options only in configure", () => {
  // transformers' generate() options too: the adapter keeps them from configure, so a sweep over num_beams
  // that shared a session would run every window with the first run's num_beams.
  for (const id of ENGINE_IDS) {
    const options = ENGINES[id].optionsSchema.parse({}) as Record<string, unknown>;
    assert.deepEqual(ENGINES[id].loadOptions(options), options, id);
  }
});

Deno.test("parallelism() is tensor x pipeline, the engines' 1 where unset", () => {
  assert.deepEqual(ENGINES.vllm.parallelism(ENGINES.vllm.optionsSchema.parse({ tensor_parallel_size: 4 })), {
    tensor: 4,
    pipeline: 1,
  });
  assert.deepEqual(ENGINES.transformers.parallelism(ENGINES.transformers.optionsSchema.parse({})), {
    tensor: 1,
    pipeline: 1,
  });
});
