import assert from "node:assert/strict";
import { experimentSchema } from "../config/experiment_config.ts";
import { buildWorkload, selectPrompts } from "./build_workload.ts";

Deno.test("selectPrompts() keeps order, or shuffles reproducibly with the seed, then takes n", () => {
  const prompts = Array.from({ length: 20 }, (_, i) => `p${i}`);
  assert.deepEqual(selectPrompts(prompts, { n_prompts: 3, order: "as_given", seed: 1 }), ["p0", "p1", "p2"]);
  const a = selectPrompts(prompts, { n_prompts: 20, order: "shuffled", seed: 7 });
  assert.deepEqual(a, selectPrompts(prompts, { n_prompts: 20, order: "shuffled", seed: 7 }));
  assert.notDeepEqual(a, prompts);
  assert.deepEqual([...a].sort(), [...prompts].sort());
});

Deno.test("buildWorkload() asks for synthetic prompts of exact length, or sends the given ones", () => {
  const config = experimentSchema.parse({
    model: "m",
    dataset: { n_prompts: 4, input_len_tokens: 32 },
    generation: { batch_size: 2, max_new_tokens: 8 },
  });
  const synthetic = buildWorkload(config, { prompts: null });
  assert.deepEqual(synthetic.synthetic, { n_prompts: 4, input_len_tokens: 32, seed: 42 });
  assert.equal(synthetic.prompts, undefined);
  assert.equal(synthetic.batch_size, 2);
  assert.deepEqual(buildWorkload(config, { prompts: ["a", "b", "c"], count: 2 }).prompts, ["a", "b"]);
});
