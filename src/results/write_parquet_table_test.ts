import assert from "node:assert/strict";
import { DOUBLE, ENUM, INTEGER, VARCHAR } from "@duckdb/node-api";
import { parquetMetadata, parquetSchema } from "hyparquet";
import { readParquetMetadata, readParquetRows } from "./read_parquet.ts";
import { type ParquetColumn, writeParquetTable } from "./write_parquet_table.ts";
import { DiskFull } from "./write_error.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

const KEYS = [3, 1, 2, 1];
const COLUMNS: ParquetColumn[] = [
  { name: "key", type: INTEGER, value: (row) => KEYS[row]! },
  { name: "ratio", type: DOUBLE, value: (row) => (row === 3 ? null : row / 4) },
  { name: "label with space", type: VARCHAR, value: (row) => (row === 0 ? null : `it's row ${row}`) },
  { name: "phase", type: ENUM(["warmup", "measure"]), value: (row) => (row === 1 ? null : "measure") },
];

Deno.test(
  "writeParquetTable() writes rows in order with nulls, quoted names and metadata, ZSTD, atomically",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, {
      rowCount: KEYS.length,
      kvMetadata: { "experiment id": "it's 001", hash: "0123456789abcdef" },
    });
    assert.deepEqual(await readParquetRows(path), [
      { key: 3, ratio: 0, "label with space": null, phase: "measure" },
      { key: 1, ratio: 0.25, "label with space": "it's row 1", phase: null },
      { key: 2, ratio: 0.5, "label with space": "it's row 2", phase: "measure" },
      { key: 1, ratio: null, "label with space": "it's row 3", phase: "measure" },
    ]);
    const metadata = await readParquetMetadata(path);
    assert.deepEqual(metadata.kvMetadata, { "experiment id": "it's 001", hash: "0123456789abcdef" });
    assert.deepEqual([metadata.numRows, metadata.codecs], [4, ["ZSTD"]]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["t.parquet"]);
    if (Deno.build.os !== "windows") assert.equal(Deno.statSync(path).mode! & 0o777, 0o644);
  }),
);

Deno.test(
  "writeParquetTable() writes an ENUM column as a plain string column",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, { rowCount: 1, kvMetadata: {} });
    const phase = parquetSchema(parquetMetadata(Deno.readFileSync(path).buffer)).children[3]!.element;
    assert.deepEqual([phase.name, phase.type, phase.converted_type], ["phase", "BYTE_ARRAY", "UTF8"]);
  }),
);

Deno.test(
  "writeParquetTable() spans many data chunks, the last one short, and keeps every null where it was",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    const rowCount = 2048 * 3 + 17;
    // Nulls in one chunk must not leak into the next: the chunk is reused.
    const value = (row: number) => (row < 2048 && row % 2 === 0 ? null : rowCount - row);
    await writeParquetTable(path, [{ name: "n", type: INTEGER, value }], { rowCount, kvMetadata: {} });
    const rows = await readParquetRows(path);
    assert.equal(rows.length, rowCount);
    rows.forEach((row, index) => assert.equal(row.n, value(index), `row ${index}`));
    assert.deepEqual((await readParquetMetadata(path)).kvMetadata, {});
  }),
);

Deno.test(
  "writeParquetTable() with zero rows writes a valid file with the schema",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await writeParquetTable(path, COLUMNS, { rowCount: 0, kvMetadata: { hash: "x" } });
    const metadata = await readParquetMetadata(path);
    assert.deepEqual([metadata.numRows, metadata.columns, metadata.kvMetadata], [
      0,
      ["key", "ratio", "label with space", "phase"],
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
      writeParquetTable(path, [...COLUMNS, COLUMNS[0]!], { rowCount: 1, kvMetadata: {} }),
      /Cannot write ".*t\.parquet": .*key/,
    );
    assert.deepEqual(Deno.readFileSync(path), before);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["t.parquet"]);
  }),
);

/** A tmpfs of `kib` KiB at a new folder, or null where mounting is not allowed (not root). */
function smallDisk(kib: number): { dir: string; unmount(): void } | null {
  const dir = Deno.makeTempDirSync({ prefix: "llem-small-disk-" });
  const args = ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir];
  if (!new Deno.Command("mount", { args, stderr: "null" }).outputSync().success) {
    Deno.removeSync(dir);
    return null;
  }
  return {
    dir,
    unmount() {
      new Deno.Command("umount", { args: ["-l", dir] }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("a Parquet file that does not fit on its disk fails as DiskFull, not as DuckDB's message", async (t) => {
  const disk = smallDisk(256);
  if (!disk) {
    await t.step({ name: "SKIPPED: mounting a tmpfs needs root", ignore: true, fn: () => {} });
    return;
  }
  try {
    // 200,000 random doubles do not compress below 256 KiB.
    const value = (row: number) => Math.sin(row * 12.9898) * 43758.5453;
    await assert.rejects(
      writeParquetTable(`${disk.dir}/t.parquet`, [{ name: "x", type: DOUBLE, value }], {
        rowCount: 200_000,
        kvMetadata: {},
      }),
      (error: unknown) => error instanceof DiskFull && /t\.parquet/.test(error.message),
    );
    assert.deepEqual([...Deno.readDirSync(disk.dir)].map((e) => e.name), [], "nothing left behind");
  } finally {
    disk.unmount();
  }
});
