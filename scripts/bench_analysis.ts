/**
 * Benchmarks of reading results (not timed tests): `llem results`, `llem report` and an aggregate `llem
 * query` over a synthetic study of 500 experiments × 3 cycles, each run with a 36,000-row timeseries.parquet,
 * as the median wall time of fresh processes and their peak resident memory (GNU time's maximum RSS),
 * against the targets: results under 2 s, report under 10 s and 1 GB, query under 1 s.
 *   deno run --allow-all scripts/bench_analysis.ts [--runs N]
 *
 * The study is built from tests/fixtures/study_demo's first run: every run's result.json is that one with
 * its own identity and energy, and its Parquet files are hard links to one requests file and one 36,000-row
 * timeseries file, so building it takes seconds, not the study's wall time.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";
import { runDirName } from "../src/results/study_layout.ts";

const repo = new URL("../", import.meta.url).pathname;
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 3;
const EXPERIMENTS = 500;
const CYCLES = 3;
const TIMESERIES_ROWS = 36_000;
const fixture = `${repo}tests/fixtures/study_demo`;

/** Write the synthetic study under `dir`; returns its path. */
async function buildStudy(dir: string): Promise<string> {
  const study = join(dir, "bench_2026-01-01T00-00-00");
  Deno.mkdirSync(join(study, "_study-artefacts"), { recursive: true });
  const manifest = JSON.parse(Deno.readTextFileSync(join(fixture, "manifest.json")));
  const plan = JSON.parse(Deno.readTextFileSync(join(fixture, "_study-artefacts", "plan.json")));
  const template = manifest.experiments[0];
  const result = JSON.parse(Deno.readTextFileSync(join(fixture, template.dir, "result.json")));
  const timeseries = join(dir, "timeseries.parquet");
  await writeTimeseries(timeseries);
  const experiments = Array.from({ length: EXPERIMENTS }, (_, i) => ({
    ...plan.experiments[0],
    id: i + 1,
    measurement_config_hash: (i + 1).toString(16).padStart(16, "0"),
    config: {
      ...plan.experiments[0].config,
      generation: { ...plan.experiments[0].config.generation, max_new_tokens: i + 1 },
    },
  }));
  const runs = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    for (const experiment of experiments) {
      const index: number = runs.length + 1;
      const hash = experiment.measurement_config_hash;
      const runDir = runDirName({ index, cycle, model: template.model, engine: template.engine, hash });
      const energy = 100 + experiment.id + cycle;
      runs.push({
        ...template,
        index,
        cycle,
        experiment: experiment.id,
        measurement_config_hash: hash,
        dir: runDir,
        total_energy_j: energy,
      });
      const path = join(study, runDir);
      Deno.mkdirSync(path);
      const own = {
        ...result,
        experiment_id: runDir,
        measurement_config_hash: hash,
        cycle,
        total_energy_j: energy,
      };
      Deno.writeTextFileSync(join(path, "result.json"), JSON.stringify(own));
      Deno.copyFileSync(
        join(fixture, template.dir, "effective_config.json"),
        join(path, "effective_config.json"),
      );
      Deno.linkSync(join(fixture, template.dir, "requests.parquet"), join(path, "requests.parquet"));
      Deno.linkSync(timeseries, join(path, "timeseries.parquet"));
    }
  }
  const summary = {
    ...manifest.summary,
    total_experiments: runs.length,
    completed: runs.length,
    unique_configurations: EXPERIMENTS,
  };
  Deno.writeTextFileSync(
    join(study, "manifest.json"),
    JSON.stringify({ ...manifest, experiments: runs, summary, uncertainty: {} }),
  );
  Deno.writeTextFileSync(
    join(study, "_study-artefacts", "plan.json"),
    JSON.stringify({ ...plan, experiments, varying_keys: ["generation.max_new_tokens"] }),
  );
  return study;
}

/** One timeseries.parquet of 36,000 samples (an hour at 100 ms), through DuckDB like llem's own. */
async function writeTimeseries(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT i / 10.0 AS t, 0 AS gpu_idx, 300 + (i % 50) AS power_w, 60.0 AS temperature_c, ` +
      `CASE WHEN i < 1000 THEN 'idle' ELSE 'measure' END AS phase FROM range(${TIMESERIES_ROWS}) AS r(i)) ` +
      `TO '${path}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  connection.closeSync();
  instance.closeSync();
}

/** Wall milliseconds and peak RSS (MiB) of one llem command in a fresh process. */
async function measure(args: string[]): Promise<{ ms: number; mib: number }> {
  const started = performance.now();
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", Deno.execPath(), "run", "--allow-all", `${repo}main.ts`, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`llem ${args.join(" ")} failed: ${stderr}`);
  return { ms, mib: Number(stderr.trim().split("\n").at(-1)) / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const dir = await Deno.makeTempDir({ prefix: "llem-bench-analysis-" });
try {
  const study = await buildStudy(dir);
  const commands: [string, string[], { ms: number; mib?: number }][] = [
    ["llem results", ["results", study], { ms: 2000 }],
    ["llem report", ["report", study, "-o", join(dir, "report.html")], { ms: 10_000, mib: 1024 }],
    ["llem query (mean power per run)", [
      "query",
      "select run_dir, avg(power_w) from timeseries group by run_dir",
      study,
    ], { ms: 1000 }],
  ];
  const header = ["benchmark", "runs", "median wall", "median/target", "peak RSS", "peak/target"];
  const rows: string[][] = [];
  for (const [name, args, target] of commands) {
    await measure(args); // warm the module cache; not counted
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await measure(args));
    const ms = median(samples.map((s) => s.ms));
    const mib = median(samples.map((s) => s.mib));
    rows.push([
      name,
      String(RUNS),
      `${ms.toFixed(0)} ms`,
      `${(ms / target.ms).toFixed(2)}${ms < target.ms ? "" : "  OVER"}`,
      `${mib.toFixed(0)} MiB`,
      target.mib ? `${(mib / target.mib).toFixed(2)}${mib < target.mib ? "" : "  OVER"}` : "-",
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(
    `reading results: ${EXPERIMENTS} experiments × ${CYCLES} cycles, ${TIMESERIES_ROWS} timeseries rows per run; ` +
      `medians of ${RUNS} fresh processes`,
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
} finally {
  await Deno.remove(dir, { recursive: true });
}
