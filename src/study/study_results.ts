import {
  type RequestDimensions,
  requestDimensions,
  requestStatistics,
} from "../analysis/request_statistics.ts";
import { type ExperimentRow, resultsTable } from "../analysis/results_table.ts";
import { UsageError } from "../errors/usage_error.ts";
import { type LoadedStudy, loadStudy, ResultsUnreadable } from "../results/load_study.ts";
import { readParquetRows } from "../results/read_parquet.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import {
  CPU_TIMESERIES_FILE,
  REQUESTS_FILE,
  resolveInside,
  TIMESERIES_FILE,
} from "../results/study_layout.ts";
import { isFile } from "../results/is_file.ts";

/** One request of a run as requests.parquet holds it, with LLMeter's dimensions beside it. */
export type RequestRow = Record<string, unknown> & RequestDimensions & { run_dir: string };

/**
 * A study's results for a program: its manifest, plan and every completed run's result.json at once;
 * the per-experiment table and LLMeter's statistics computed on demand; per-request records and
 * timeseries read from Parquet only when asked for (hyparquet, no DuckDB), each file once.
 */
export interface StudyResults extends LoadedStudy {
  /** One row per experiment: its metrics across cycles with their 95% CI, and its flags. */
  table(): ExperimentRow[];
  /** The requests of a completed run (its directory name), or of every completed run. */
  requests(runDir?: string): Promise<RequestRow[]>;
  /** The GPU samples of a completed run. */
  timeseries(runDir: string): Promise<Record<string, unknown>[]>;
  /** The CPU energy readings (RAPL) of a completed run; none where the host's counters were unreadable. */
  cpuTimeseries(runDir: string): Promise<Record<string, unknown>[]>;
  /** LLMeter's Result.stats of a run's requests, over its measurement window. */
  requestStatistics(runDir: string): Promise<Record<string, number>>;
  /**
   * The values of one per-request field (an LLMeter dimension such as `time_to_first_token`, a column of
   * requests.parquet, or `run_dir`) across every completed run, where `filter` matches (seed 002's
   * get_dimension). Throws UsageError for a field no request has.
   */
  getDimension(dimension: string, filter?: { dimension: string; value: unknown }): Promise<unknown[]>;
}

/** Open a study directory's results (see StudyResults); throws ManifestUnreadable when it is not a study. */
export function openStudyResults(dir: string): StudyResults {
  const study = loadStudy(dir);
  const requestsOf = new Map<string, Promise<RequestRow[]>>();
  const completed = study.runs.filter((run) => run.result !== null);
  const runOf = (runDir: string) => {
    const run = completed.find((candidate) => candidate.entry.dir === runDir);
    if (!run) {
      throw new UsageError(`${dir} has no completed run ${runDir}`, "name a run directory of the study");
    }
    return run;
  };
  const requests = (runDir: string) => {
    runOf(runDir);
    if (!requestsOf.has(runDir)) requestsOf.set(runDir, readRequests(resolveInside(dir, runDir), runDir));
    return requestsOf.get(runDir)!;
  };
  return {
    ...study,
    table: () => resultsTable(study),
    requests: async (runDir) =>
      runDir === undefined
        ? (await Promise.all(completed.map((run) => requests(run.entry.dir)))).flat()
        : await requests(runDir),
    timeseries: (runDir) => {
      runOf(runDir);
      return readRows(resolveInside(dir, `${runDir}/${TIMESERIES_FILE}`));
    },
    cpuTimeseries: async (runDir) => {
      runOf(runDir);
      const file = resolveInside(dir, `${runDir}/${CPU_TIMESERIES_FILE}`);
      return isFile(file) ? await readRows(file) : [];
    },
    requestStatistics: async (runDir) => {
      const rows = await requests(runDir);
      const result = runOf(runDir).result!;
      return requestStatistics(rows, {
        totalRequests: rows.length,
        totalSeconds: result.total_inference_time_sec,
      });
    },
    getDimension: async (dimension, filter) => {
      const rows = (await Promise.all(completed.map((run) => requests(run.entry.dir)))).flat();
      for (const name of [dimension, ...(filter ? [filter.dimension] : [])]) {
        if (!rows.some((row) => name in row)) {
          throw new UsageError(
            `no request has the dimension "${name}"`,
            `the dimensions are ${Object.keys(rows[0] ?? {}).join(", ")}`,
          );
        }
      }
      return rows.filter((row) => !filter || row[filter.dimension] === filter.value).map((row) =>
        row[dimension]
      );
    },
  };
}

async function readRequests(runPath: string, runDir: string): Promise<RequestRow[]> {
  const rows = await readRows(`${runPath}/${REQUESTS_FILE}`);
  return rows.map((row) => {
    const record = {
      index: Number(row.request_index),
      input_tokens: Number(row.input_tokens),
      output_tokens: Number(row.output_tokens),
      start_s: Number(row.start_s),
      first_token_s: row.first_token_s === null ? null : Number(row.first_token_s),
      end_s: Number(row.end_s),
    };
    const plain = Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]),
    );
    return { ...plain, ...requestDimensions(record), run_dir: runDir };
  });
}

/** A Parquet file's rows; a file that cannot be read (truncated, overwritten) is ResultsUnreadable. */
async function readRows(path: string): Promise<Record<string, unknown>[]> {
  try {
    return await readParquetRows(path);
  } catch (error) {
    throw new ResultsUnreadable(
      `cannot read "${path}": ${(error as Error).message}`,
      "the file is damaged: llem run CONFIG DIR --resume measures a run with damaged files again",
      { cause: error },
    );
  }
}

/** Seed 000's duration_sec: end_time − start_time of the experiment, seconds. */
export function durationSec(result: Pick<ExperimentResult, "start_time" | "end_time">): number {
  return (Date.parse(result.end_time) - Date.parse(result.start_time)) / 1000;
}

/** Seed 000's tokens_per_joule: total_tokens / total_energy_j, 0 when no energy was measured. */
export function tokensPerJoule(result: Pick<ExperimentResult, "total_tokens" | "total_energy_j">): number {
  return result.total_energy_j === 0 ? 0 : result.total_tokens / result.total_energy_j;
}
