/**
 * Orchestration overhead of `llem run`: a study of 20 short experiments with the test engine (process
 * runner, NVML stand-in, zero gaps, no baseline, no thermal floor, no warmup), with session reuse and with a
 * fresh session per experiment (the replaced tool's way). Overhead per experiment = (wall time of the llem
 * process - the engine's work inside the windows) / experiments. Medians over --repeats studies.
 *   deno run -A scripts/bench_study.ts [--experiments 20] [--repeats 3]
 */
import { join } from "node:path";
import { fakeNvmlLibrary } from "../tests/fake_nvml_library.ts";
import { LLEM_PERMISSIONS } from "../tests/llem_permissions.ts";

const repo = new URL("../", import.meta.url).pathname;
const option = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
};
const EXPERIMENTS = option("--experiments", 20);
const REPEATS = option("--repeats", 3);

function studyYaml(model: string, reuse: boolean): string {
  const tokens = Array.from({ length: EXPERIMENTS }, (_, i) => 4 + i).join(", ");
  return `name: bench
model: ${model}
runner: process
dataset: {n_prompts: 4, input_len_tokens: 16}
generation: {batch_size: 4, max_new_tokens: 8}
transformers: {extra: {ttft_s: 0.002, token_s: 0.001}}
measurement:
  sample_interval_ms: 100
  baseline: {enabled: false}
  warmup: {n_requests: 0}
  thermal_floor: {enabled: false}
sweep:
  generation.max_new_tokens: [${tokens}]
execution: {reuse_sessions: ${reuse}}
`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(reuse: boolean): Promise<{ wall: number; overhead: number }> {
  const dir = Deno.makeTempDirSync({ prefix: "llem-bench-study-" });
  try {
    const model = join(dir, "model");
    Deno.mkdirSync(model);
    Deno.writeTextFileSync(join(dir, "study.yaml"), studyYaml(model, reuse));
    const started = performance.now();
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...LLEM_PERMISSIONS, `${repo}main.ts`, "run", "study.yaml", "-o", "results", "--quiet"],
      cwd: dir,
      env: {
        LLEM_NVML_LIBRARY: fakeNvmlLibrary("full"),
        LLEM_ADAPTER_OVERRIDE: `${repo}engines/test_engine/adapter.py`,
        LLEM_LOCK_DIR: join(dir, "locks"),
        LLEM_CACHE_DIR: join(dir, "cache"),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wall = (performance.now() - started) / 1000;
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    const [study] = [...Deno.readDirSync(join(dir, "results"))].map((e) => join(dir, "results", e.name));
    let engineSeconds = 0;
    for (const entry of Deno.readDirSync(study!)) {
      try {
        const result = JSON.parse(Deno.readTextFileSync(join(study!, entry.name, "result.json")));
        engineSeconds += result.total_inference_time_sec;
      } catch { /* not a run folder */ }
    }
    return { wall, overhead: (wall - engineSeconds) / EXPERIMENTS };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const rows: [string, number, number][] = [];
for (const reuse of [true, false]) {
  const runs = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await measure(reuse));
  rows.push([
    reuse ? "one session, reused" : "a fresh session per experiment",
    median(runs.map((r) => r.wall)),
    median(runs.map((r) => r.overhead)),
  ]);
}
console.log(`\nllem run, ${EXPERIMENTS} experiments with the test engine; medians of ${REPEATS} studies`);
console.log("| sessions | study wall time | overhead per experiment (< 0.5 s with reuse) |");
console.log("| --- | --- | --- |");
for (const [name, wall, overhead] of rows) {
  console.log(`| ${name} | ${wall.toFixed(2)} s | ${overhead.toFixed(3)} s |`);
}
console.log(`fresh / reused overhead: ${(rows[1]![2] / rows[0]![2]).toFixed(2)}x`);
