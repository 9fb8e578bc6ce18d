/**
 * One test for tests/duckdb_teardown_test.ts: a few Parquet writes through DuckDB, then enough short-lived
 * garbage that a garbage collection finds the writes' DuckDB handles (data chunk, logical types, results)
 * unreachable in the test's last synchronous stretch, so their finalizers are still queued when
 * `deno test` tears the file's worker down. Not a test file itself (no _test suffix).
 */
import { DOUBLE, ENUM, INTEGER, VARCHAR } from "@duckdb/node-api";
import { writeParquetTable } from "../src/results/write_parquet_table.ts";

export function duckdbThenGarbage(label: string): void {
  Deno.test(`DuckDB writes, then garbage (${label})`, async () => {
    const dir = Deno.makeTempDirSync({ prefix: "llem-teardown-" });
    try {
      for (let i = 0; i < 6; i++) {
        await writeParquetTable(`${dir}/t${i}.parquet`, [
          { name: "a", type: DOUBLE, value: (row) => row / 2 },
          { name: "b", type: INTEGER, value: (row) => row },
          { name: "c", type: VARCHAR, value: (row) => `r${row}` },
          { name: "d", type: ENUM(["x", "y"]), value: (row) => (row % 2 ? "x" : "y") },
        ], { rowCount: 100, kvMetadata: { k: "v" } });
      }
      let kept = 0;
      for (let i = 0; i < 200_000; i++) kept += [i, { i }].length;
      if (kept !== 400_000) throw new Error(`${kept}`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
