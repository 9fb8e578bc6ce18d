/**
 * Sessions (model loads) that `llem plan` gives a few sweep shapes, against the declared order and against
 * the least any order of the same runs could need. Not timed: counts. Part of `deno task bench`.
 *   deno run --allow-read --allow-write scripts/bench_sessions.ts
 */
import { planStudy } from "../src/config/plan_study.ts";
import { readConfigFile } from "../src/study/read_config_file.ts";

interface Shape {
  name: string;
  yaml: string;
  /** The fewest sessions any order could need: distinct model loads, once per cycle where cycles interleave. */
  minimum: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(", ");
const SHAPES: Shape[] = [
  {
    name: "10,000 points, dtype axis last, sequential",
    yaml: `sweep:\n  generation.batch_size: [${range(100)}]\n  generation.max_new_tokens: [${range(50)}]\n` +
      "  generation.dtype: [float16, bfloat16]\n",
    minimum: 2,
  },
  {
    name: "batch x dtype x seed (2 x 3 x 4), 3 cycles interleaved",
    yaml: "sweep:\n  generation.decoding.seed: [1, 2, 3, 4]\n  generation.batch_size: [1, 8]\n" +
      "  generation.dtype: [float16, bfloat16, float32]\nexecution: {order: interleave, n_cycles: 3}\n",
    minimum: 3 * 4 * 3,
  },
  {
    name: "batch x attention (8 x 2), sequential",
    yaml: `sweep:\n  generation.batch_size: [${
      range(8)
    }]\n  transformers.attn_implementation: [sdpa, eager]\n`,
    minimum: 2,
  },
  {
    name: "batch x dtype (8 x 2), 3 cycles shuffled (kept)",
    yaml: `sweep:\n  generation.batch_size: [${range(8)}]\n  generation.dtype: [float16, bfloat16]\n` +
      "execution: {order: shuffle, n_cycles: 3}\n",
    minimum: 2 * 3,
  },
];

const dir = await Deno.makeTempDir({ prefix: "llem-bench-sessions-" });
const rows: string[][] = [["sweep shape", "runs", "declared order", "planned", "minimum", "planned/minimum"]];
try {
  for (const shape of SHAPES) {
    const file = `${dir}/study.yaml`;
    await Deno.writeTextFile(file, `name: bench\nmodel: gpt2\n${shape.yaml}`);
    const plan = planStudy(file, readConfigFile);
    rows.push([
      shape.name,
      String(plan.funnel.runs),
      String(plan.sessions_as_declared),
      String(plan.sessions),
      String(shape.minimum),
      (plan.sessions / shape.minimum).toFixed(2),
    ]);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
