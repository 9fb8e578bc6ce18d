import assert from "node:assert/strict";
import { DOUBLE, INTEGER, VARCHAR } from "@duckdb/node-api";
import { readParquetMetadata, readParquetRows } from "./read_parquet.ts";
import { type ParquetColumn, writeParquetTable } from "./write_parquet_table.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

const KEYS = [3, 1, 2, 1];
const COLUMNS: ParquetColumn[] = [
  { name: "key", type: INTEGER, value: (row) => KEYS[row]! },
  { name: "tie", type: DOUBLE, value: (row) => (row === 3 ? 0.5 : 1.5) },
  { name: "label with space", type: VARCHAR, value: (row) => (row === 0 ? null : `it's row ${row}`) },
];

Deno.test(
  "writeParquetTable() writes ordered rows, nulls and quoted names and metadata, ZSTD, atomically",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, {
      rowCount: KEYS.length,
      orderBy: ["key", "tie"],
      kvMetadata: { "experiment id": "it's 001", hash: "0123456789abcdef" },
    });
    assert.deepEqual(await readParquetRows(path), [
      { key: 1, tie: 0.5, "label with space": "it's row 3" },
      { key: 1, tie: 1.5, "label with space": "it's row 1" },
      { key: 2, tie: 1.5, "label with space": "it's row 2" },
      { key: 3, tie: 1.5, "label with space": null },
    ]);
    const metadata = await readParquetMetadata(path);
    assert.deepEqual(metadata.kvMetadata, { "experiment id": "it's 001", hash: "0123456789abcdef" });
    assert.deepEqual([metadata.numRows, metadata.codecs], [4, ["ZSTD"]]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["t.parquet"]);
    if (Deno.build.os !== "windows") assert.equal(Deno.statSync(path).mode! & 0o777, 0o644);
  }),
);

Deno.test(
  "writeParquetTable() spans many data chunks and keeps insertion order without orderBy",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    const rowCount = 2048 * 3 + 17;
    await writeParquetTable(path, [{ name: "n", type: INTEGER, value: (row) => rowCount - row }], {
      rowCount,
      kvMetadata: {},
    });
    const rows = await readParquetRows(path);
    assert.equal(rows.length, rowCount);
    assert.ok(rows.every((row, index) => row.n === rowCount - index));
    assert.deepEqual((await readParquetMetadata(path)).kvMetadata, {});
  }),
);

Deno.test(
  "writeParquetTable() with zero rows writes a valid file with the schema",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, { rowCount: 0, orderBy: ["key"], kvMetadata: { hash: "x" } });
    const metadata = await readParquetMetadata(path);
    assert.deepEqual([metadata.numRows, metadata.columns, metadata.kvMetadata], [
      0,
      ["key", "tie", "label with space"],
      { hash: "x" },
    ]);
    assert.deepEqual(await readParquetRows(path), []);
  }),
);

Deno.test(
  "writeParquetTable() leaves the previous file and no temporary file when DuckDB fails",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, { rowCount: 1, kvMetadata: {} });
    const before = Deno.readFileSync(path);
    await assert.rejects(
      writeParquetTable(path, COLUMNS, { rowCount: 1, orderBy: ["no_such_column"], kvMetadata: {} }),
      /Cannot write ".*t\.parquet": .*no_such_column/,
    );
    assert.deepEqual(Deno.readFileSync(path), before);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["t.parquet"]);
  }),
);
