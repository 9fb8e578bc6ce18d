import assert from "node:assert/strict";
import { DOUBLE, UBIGINT } from "@duckdb/node-api";
import { readParquetMetadata, readParquetRows } from "./read_parquet.ts";
import { writeParquetTable } from "./write_parquet_table.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

Deno.test(
  "readParquetRows() reads only the columns asked for, bigint for 64-bit integers",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, [
      { name: "a", type: DOUBLE, value: (row) => row / 2 },
      { name: "b", type: UBIGINT, value: (row) => BigInt(row) },
    ], { rowCount: 3, kvMetadata: {} });
    assert.deepEqual(await readParquetRows(path, { columns: ["b"] }), [{ b: 0n }, { b: 1n }, { b: 2n }]);
    assert.deepEqual(await readParquetRows(path), [{ a: 0, b: 0n }, { a: 0.5, b: 1n }, { a: 1, b: 2n }]);
  }),
);

Deno.test(
  "readParquetRows() and readParquetMetadata() name the file they cannot read",
  inTempDir(async (dir) => {
    await assert.rejects(readParquetRows(`${dir}/absent.parquet`), /Cannot read ".*absent\.parquet": /);
    Deno.writeTextFileSync(`${dir}/not.parquet`, "{}");
    await assert.rejects(readParquetMetadata(`${dir}/not.parquet`), /Cannot read ".*not\.parquet": /);
  }),
);
