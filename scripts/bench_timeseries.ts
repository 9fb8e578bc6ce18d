/**
 * Benchmark (not a timed test): write a 1,000,000-sample timeseries.parquet (4 GPUs x 250,000 rounds,
 * about 7 hours at 100 ms) through writeTimeseriesParquet(), and read it back with hyparquet. Prints a
 * markdown table: median wall time of several runs, file size, resident memory before the first run (the
 * samples themselves), the peak during any run, and the largest rise over a run's starting RSS (VmHWM,
 * reset before each run through /proc/self/clear_refs on Linux; sampled RSS elsewhere).
 *   ./node_modules/.bin/deno run --allow-read --allow-write --allow-ffi --allow-env --allow-sys \
 *     scripts/bench_timeseries.ts [--samples N] [--runs N]
 */
import { syntheticSamples } from "../tests/tagged_sample_fixture.ts";
import { readParquetRows } from "../src/results/read_parquet.ts";
import { writeTimeseriesParquet } from "../src/results/timeseries_parquet.ts";

function argument(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

const SAMPLES = argument("--samples", 1_000_000);
const RUNS = argument("--runs", 3);
const UUIDS = ["GPU-0", "GPU-1", "GPU-2", "GPU-3"];
const START = 1_780_000_000;
const MIB = 1024 * 1024;

/** Resets the kernel's peak-RSS mark; false where that is not possible (not Linux, or refused). */
function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** VmHWM, bytes, or null where /proc is not there. */
function peakRssBytes(): number | null {
  try {
    const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:"));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Run `work`, returning its wall time, the RSS before it and the peak RSS seen while it ran. */
async function measure(
  work: () => Promise<unknown>,
): Promise<{ ms: number; rssBefore: number; peakRss: number }> {
  const rssBefore = Deno.memoryUsage().rss;
  const exact = resetPeakRss();
  let sampled = Deno.memoryUsage().rss;
  const sampler = setInterval(() => sampled = Math.max(sampled, Deno.memoryUsage().rss), 5);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(sampler);
  sampled = Math.max(sampled, Deno.memoryUsage().rss);
  return { ms, rssBefore, peakRss: exact ? peakRssBytes() ?? sampled : sampled };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const samples = syntheticSamples(Math.ceil(SAMPLES / UUIDS.length), {
  uuids: UUIDS,
  startSeconds: START,
  intervalSeconds: 0.1,
}).slice(0, SAMPLES);
const gpuIndexByUuid = new Map(UUIDS.map((uuid, index) => [uuid, index]));
const dir = Deno.makeTempDirSync({ prefix: "llem-bench-timeseries-" });
const path = `${dir}/timeseries.parquet`;
try {
  const writes: { ms: number; rssBefore: number; peakRss: number }[] = [];
  const reads: { ms: number; rssBefore: number; peakRss: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    writes.push(
      await measure(() =>
        writeTimeseriesParquet(path, samples, {
          experimentStartSeconds: START,
          gpuIndexByUuid,
          kvMetadata: { experiment_id: "bench", measurement_config_hash: "0123456789abcdef" },
        })
      ),
    );
  }
  for (let run = 0; run < RUNS; run++) {
    reads.push(await measure(() => readParquetRows(path, { columns: ["t", "gpu_idx", "power_w"] })));
  }
  const size = Deno.statSync(path).size;
  const mib = (bytes: number) => (bytes / MIB).toFixed(0);
  const row = (step: string, runs: typeof writes, file: string) => {
    const growth = Math.max(...runs.map((r) => r.peakRss - r.rssBefore));
    console.log(
      `| ${step} | ${median(runs.map((r) => r.ms)).toFixed(0)} | ${mib(runs[0]!.rssBefore)} | ` +
        `${mib(Math.max(...runs.map((r) => r.peakRss)))} | ${mib(growth)} | ${file} |`,
    );
  };
  console.log(
    `timeseries.parquet: ${SAMPLES.toLocaleString("en")} samples, ${UUIDS.length} GPUs, ` +
      `median of ${RUNS} runs, ${navigator.hardwareConcurrency} CPUs`,
  );
  console.log("");
  console.log("| step | median ms | RSS before MiB | peak RSS MiB | largest growth MiB | file MiB |");
  console.log("|---|---:|---:|---:|---:|---:|");
  row("write (DuckDB, ZSTD)", writes, (size / MIB).toFixed(1));
  row("read 3 columns (hyparquet)", reads, "");
} finally {
  Deno.removeSync(dir, { recursive: true });
}
