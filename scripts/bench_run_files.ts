/**
 * Per-run cost of a run's Parquet files (timeseries.parquet with 100 samples, requests.parquet with 4
 * requests), written as llem writes them now, through one DuckDB for the whole study (ParquetWorkspace),
 * and as it did before, a fresh DuckDB per file, in the same run. Medians over --runs runs, after 3 not
 * counted. Part of `deno task bench`.
 *   deno run -A scripts/bench_run_files.ts [--runs 40]
 */
import { join } from "node:path";
import type { TaggedSample } from "../src/gpu/sampler_protocol.ts";
import { ParquetWorkspace } from "../src/results/parquet_workspace.ts";
import { writeRequestsParquet } from "../src/results/requests_parquet.ts";
import { TimeseriesWriter } from "../src/results/timeseries_parquet.ts";

const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 40;

const samples: TaggedSample[] = Array.from({ length: 100 }, (_, i) => ({
  uuid: "GPU-0",
  phase: "measure",
  timeSeconds: 1_800_000_000 + i * 0.1,
  energyJoules: i * 10,
  powerWatts: 100,
  powerSource: "instant_field",
  temperatureCelsius: 40,
  memoryUsedBytes: 1e9,
  smClockMhz: 1980,
  memoryClockMhz: 2619,
  utilizationGpuPercent: 50,
  utilizationMemoryPercent: 20,
  clockEventReasons: 0n,
  errorCount: 0,
}));
const requests = Array.from({ length: 4 }, (_, index) => ({
  index,
  input_tokens: 16,
  output_tokens: 8,
  start_s: 0,
  first_token_s: 0.01,
  end_s: 0.05,
}));

async function writeRun(dir: string, workspace: ParquetWorkspace | null): Promise<number> {
  const shared = workspace ? { workspace } : {};
  const started = performance.now();
  const timeseries = await TimeseriesWriter.open(join(dir, "timeseries.parquet"), {
    experimentStartSeconds: 1_800_000_000,
    gpuIndexByUuid: new Map([["GPU-0", 0]]),
    kvMetadata: { experiment_id: "bench" },
    ...shared,
  });
  timeseries.append(samples);
  await timeseries.finish();
  await writeRequestsParquet(join(dir, "requests.parquet"), requests, {
    windowStartHarnessSeconds: 0,
    kvMetadata: { experiment_id: "bench" },
    ...shared,
  });
  return performance.now() - started;
}

async function measure(workspace: ParquetWorkspace | null): Promise<number[]> {
  const study = Deno.makeTempDirSync({ prefix: "llem-bench-files-" });
  const times: number[] = [];
  try {
    for (let run = 0; run < RUNS + 3; run++) {
      const dir = join(study, `run${run}`);
      Deno.mkdirSync(dir);
      const ms = await writeRun(dir, workspace);
      if (run >= 3) times.push(ms);
    }
  } finally {
    await workspace?.close();
    Deno.removeSync(study, { recursive: true });
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fresh = median(await measure(null));
const shared = median(await measure(new ParquetWorkspace()));
console.log(`\nA run's two Parquet files (100 samples, 4 requests); medians of ${RUNS} runs`);
console.log("| DuckDB                           | per run  | ratio |");
console.log("| -------------------------------- | -------- | ----- |");
console.log(`| a fresh one per file (before)    | ${fresh.toFixed(1).padStart(5)} ms | 1.00  |`);
console.log(
  `| one per study (ParquetWorkspace) | ${shared.toFixed(1).padStart(5)} ms | ${
    (shared / fresh).toFixed(2)
  }  |`,
);
