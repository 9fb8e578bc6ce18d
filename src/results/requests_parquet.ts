import type { ParquetWorkspace } from "./parquet_workspace.ts";
import { DOUBLE, INTEGER, LIST, listValue } from "@duckdb/node-api";
import type { RequestRecord } from "../engines/harness_protocol.ts";
import { type ParquetColumn, writeParquetTable } from "./write_parquet_table.ts";

/** Where the window starts on the harness's clock, and the file's metadata. */
export interface RequestsParquetOptions {
  /** The harness's `done.started_s`: request times are written relative to it. */
  windowStartHarnessSeconds: number;
  /** Parquet key-value metadata, e.g. experiment_id and measurement_config_hash. */
  kvMetadata: Readonly<Record<string, string>>;
  /** The study's DuckDB (ParquetWorkspace); without one, the file opens its own. */
  workspace?: ParquetWorkspace;
}

/**
 * Write a window's per-request records to requests.parquet, one row per request in request_index order:
 * request_index, input_tokens, output_tokens; start_s, first_token_s, end_s (seconds from the window
 * start, harness clock); ttft_ms, e2e_ms, tpot_ms = (end − first token) / (output_tokens − 1), null when
 * output_tokens < 2 or there is no first token; n_token_times and token_times_s (a list of seconds from
 * the window start), null when the engine reported no per-token times. The metadata also records
 * window_start_harness_s.
 */
export async function writeRequestsParquet(
  path: string,
  requests: readonly RequestRecord[],
  options: RequestsParquetOptions,
): Promise<void> {
  const origin = options.windowStartHarnessSeconds;
  const sorted = requests.toSorted((a, b) => a.index - b.index);
  const at = (row: number) => sorted[row]!;
  const columns: ParquetColumn[] = [
    { name: "request_index", type: INTEGER, value: (row) => at(row).index },
    { name: "input_tokens", type: INTEGER, value: (row) => at(row).input_tokens },
    { name: "output_tokens", type: INTEGER, value: (row) => at(row).output_tokens },
    { name: "start_s", type: DOUBLE, value: (row) => at(row).start_s - origin },
    { name: "first_token_s", type: DOUBLE, value: (row) => relative(at(row).first_token_s, origin) },
    { name: "end_s", type: DOUBLE, value: (row) => at(row).end_s - origin },
    { name: "ttft_ms", type: DOUBLE, value: (row) => ttftMs(at(row)) },
    { name: "e2e_ms", type: DOUBLE, value: (row) => (at(row).end_s - at(row).start_s) * 1000 },
    { name: "tpot_ms", type: DOUBLE, value: (row) => tpotMs(at(row)) },
    { name: "n_token_times", type: INTEGER, value: (row) => at(row).token_times_s?.length ?? null },
    {
      name: "token_times_s",
      type: LIST(DOUBLE),
      value: (row) => {
        const times = at(row).token_times_s;
        return times === undefined ? null : listValue(times.map((time) => time - origin));
      },
    },
  ];
  await writeParquetTable(path, columns, {
    rowCount: requests.length,
    kvMetadata: { ...options.kvMetadata, window_start_harness_s: String(origin) },
    ...(options.workspace ? { workspace: options.workspace } : {}),
  });
}

function relative(seconds: number | null, origin: number): number | null {
  return seconds === null ? null : seconds - origin;
}

function ttftMs(request: RequestRecord): number | null {
  return request.first_token_s === null ? null : (request.first_token_s - request.start_s) * 1000;
}

function tpotMs(request: RequestRecord): number | null {
  if (request.first_token_s === null || request.output_tokens < 2) return null;
  return ((request.end_s - request.first_token_s) * 1000) / (request.output_tokens - 1);
}
