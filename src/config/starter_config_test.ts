import assert from "node:assert/strict";
import { parse } from "yaml";
import { memoryFiles } from "../../tests/memory_files.ts";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { executionSchema } from "./execution_config.ts";
import { experimentSchema } from "./experiment_config.ts";
import { planStudy } from "./plan_study.ts";
import { objectKeys } from "./schema_at_path.ts";
import { starterConfig } from "./starter_config.ts";

for (const engine of ENGINE_IDS) {
  for (const study of [false, true]) {
    Deno.test(`starterConfig() for ${engine}${study ? " studies" : ""} is accepted by plan as is`, () => {
      const text = starterConfig({ model: "org/model", engine, study });
      const plan = planStudy("starter.yaml", memoryFiles({ "starter.yaml": text }));
      assert.equal(plan.funnel.invalid, 0);
      assert.ok(plan.experiments.every((e) => e.engine === engine && e.model === "org/model"));
      assert.equal(plan.funnel.unique > 1, study);
    });
  }
}

Deno.test("starterConfig() lists every experiment key with its default and a comment", () => {
  const text = starterConfig({ model: "m", engine: "vllm", study: false });
  const data = parse(text) as Record<string, Record<string, unknown>>;
  for (const key of objectKeys(experimentSchema)!) {
    if (key === "transformers" || key === "tensorrt") assert.equal(data[key], undefined, key);
    else assert.ok(key in data, `missing ${key}`);
  }
  // Every value written is the schema's default: parsing the file changes nothing but model/engine.
  const defaults = experimentSchema.parse({ model: "m", engine: "vllm", vllm: {} });
  assert.deepEqual(experimentSchema.parse(data), defaults);
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (/^\s*[a-z_]+:/.test(line)) assert.match(lines[i - 1]!, /^\s*#/, `no comment above "${line}"`);
  }
});

Deno.test("starterConfig() for a study writes every execution key", () => {
  const data = parse(starterConfig({ model: "m", engine: "transformers", study: true })) as {
    execution: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(data.execution), objectKeys(executionSchema));
});
