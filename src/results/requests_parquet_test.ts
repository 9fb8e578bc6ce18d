import assert from "node:assert/strict";
import type { RequestRecord } from "../engines/harness_protocol.ts";
import { readParquetMetadata, readParquetRows } from "./read_parquet.ts";
import { writeRequestsParquet } from "./requests_parquet.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

/** The harness's monotonic clock: an arbitrary origin, like Python's time.perf_counter(). */
const WINDOW_START = 5000;
const KV = {
  experiment_id: "001_c0_gpt2-vllm_0123456789abcdef",
  measurement_config_hash: "0123456789abcdef",
};

const STREAMED: RequestRecord = {
  index: 1,
  input_tokens: 128,
  output_tokens: 4,
  start_s: 5000.5,
  first_token_s: 5000.75,
  end_s: 5001.5,
  token_times_s: [5000.75, 5001, 5001.25, 5001.5],
};
const NO_FIRST_TOKEN: RequestRecord = {
  index: 0,
  input_tokens: 64,
  output_tokens: 16,
  start_s: 5000,
  first_token_s: null,
  end_s: 5002,
};
const ONE_TOKEN: RequestRecord = {
  index: 2,
  input_tokens: 32,
  output_tokens: 1,
  start_s: 5000.25,
  first_token_s: 5000.5,
  end_s: 5000.5,
};

Deno.test(
  "writeRequestsParquet() writes one row per request in index order, relative to the window start",
  inTempDir(async (dir) => {
    const path = `${dir}/requests.parquet`;
    await writeRequestsParquet(path, [STREAMED, ONE_TOKEN, NO_FIRST_TOKEN], {
      windowStartHarnessSeconds: WINDOW_START,
      kvMetadata: KV,
    });
    assert.deepEqual(await readParquetRows(path), [
      {
        request_index: 0,
        input_tokens: 64,
        output_tokens: 16,
        start_s: 0,
        first_token_s: null,
        end_s: 2,
        ttft_ms: null,
        e2e_ms: 2000,
        tpot_ms: null,
        n_token_times: null,
        token_times_s: null,
      },
      {
        request_index: 1,
        input_tokens: 128,
        output_tokens: 4,
        start_s: 0.5,
        first_token_s: 0.75,
        end_s: 1.5,
        ttft_ms: 250,
        e2e_ms: 1000,
        tpot_ms: 250, // (1500 - 750) ms over 3 gaps
        n_token_times: 4,
        token_times_s: [0.75, 1, 1.25, 1.5],
      },
      {
        request_index: 2,
        input_tokens: 32,
        output_tokens: 1,
        start_s: 0.25,
        first_token_s: 0.5,
        end_s: 0.5,
        ttft_ms: 250,
        e2e_ms: 250,
        tpot_ms: null,
        n_token_times: null,
        token_times_s: null,
      },
    ]);
    const metadata = await readParquetMetadata(path);
    assert.deepEqual(metadata.kvMetadata, { ...KV, window_start_harness_s: "5000" });
    assert.deepEqual(metadata.codecs, ["ZSTD"]);
  }),
);

Deno.test(
  "writeRequestsParquet() keeps an empty token-time list apart from a missing one",
  inTempDir(async (dir) => {
    const path = `${dir}/requests.parquet`;
    await writeRequestsParquet(path, [{
      ...ONE_TOKEN,
      output_tokens: 0,
      first_token_s: null,
      token_times_s: [],
    }], {
      windowStartHarnessSeconds: WINDOW_START,
      kvMetadata: KV,
    });
    const [row] = await readParquetRows(path, { columns: ["n_token_times", "token_times_s"] });
    assert.deepEqual(row, { n_token_times: 0, token_times_s: [] });
  }),
);

Deno.test(
  "writeRequestsParquet() with no requests writes a valid file with every column",
  inTempDir(async (dir) => {
    const path = `${dir}/requests.parquet`;
    await writeRequestsParquet(path, [], { windowStartHarnessSeconds: WINDOW_START, kvMetadata: KV });
    const metadata = await readParquetMetadata(path);
    assert.deepEqual([metadata.numRows, metadata.columns], [0, [
      "request_index",
      "input_tokens",
      "output_tokens",
      "start_s",
      "first_token_s",
      "end_s",
      "ttft_ms",
      "e2e_ms",
      "tpot_ms",
      "n_token_times",
      "token_times_s",
    ]]);
    assert.equal(metadata.kvMetadata.experiment_id, KV.experiment_id);
  }),
);
