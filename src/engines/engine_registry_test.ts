import assert from "node:assert/strict";
import { ENGINE_IDS } from "../config/engine_id.ts";
import { experimentSchema } from "../config/experiment_config.ts";
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

Deno.test("engineOptions() passes the experiment's engine section through, extra included", () => {
  const config = experimentSchema.parse({
    model: "m",
    engine: "vllm",
    vllm: { max_num_seqs: 8, extra: { foo: 1 } },
  });
  const options = ENGINES.vllm.engineOptions(config);
  assert.equal(options.max_num_seqs, 8);
  assert.deepEqual(options.extra, { foo: 1 });
});
