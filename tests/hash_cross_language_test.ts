/**
 * measurement_config_hash must not depend on JavaScript: Python's json.dumps(sort_keys=True,
 * separators=(",", ":")) over the same resolved config, minus environment fields, gives the same hash.
 */
import assert from "node:assert/strict";
import { measurementView } from "../src/config/config_hash.ts";
import { loadPlan, planStudy } from "../mod.ts";
import { memoryFiles } from "./memory_files.ts";

const PYTHON = `
import hashlib, json, sys
for line in sys.stdin:
    config = json.loads(line)
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    print(hashlib.sha256(text.encode()).hexdigest()[:16])
`;

async function hasPython(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .output())
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "measurement_config_hash equals an independent Python computation (examples, odd keys, non-ASCII)",
  ignore: !(await hasPython()),
  async fn() {
    const example = loadPlan("examples/study.yaml");
    const odd = planStudy(
      "odd.yaml",
      memoryFiles({
        "odd.yaml":
          'model: "m\u00e9"\nengine: vllm\nvllm: {extra: {"10": 1, "9": 2, "b": {"2": [1.5, -0.0]}}}\n',
      }),
    );
    const plan = { experiments: [...example.experiments, ...odd.experiments] };
    const lines = plan.experiments.map((e) => JSON.stringify(measurementView(e.config))).join("\n") + "\n";
    const child = new Deno.Command("python3", { args: ["-c", PYTHON], stdin: "piped", stdout: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(lines));
    await writer.close();
    const output = await child.output();
    assert.ok(output.success);
    const hashes = new TextDecoder().decode(output.stdout).trim().split("\n");
    assert.deepEqual(hashes, plan.experiments.map((e) => e.measurement_config_hash));
  },
});
