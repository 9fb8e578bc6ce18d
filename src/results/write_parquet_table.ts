import {
  type DuckDBAppender,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  quotedIdentifier,
  quotedString,
} from "@duckdb/node-api";
import { withAtomicFile } from "./write_atomic.ts";

/** One column of a table to write: its name, its DuckDB type, and how to read its value for a row. */
export interface ParquetColumn {
  name: string;
  type: DuckDBType;
  /** The value of row `row` (0-based); null for a missing value. */
  value: (row: number) => DuckDBValue;
}

/** How many rows there are, how to order them, and the file's key-value metadata. */
export interface ParquetTableOptions {
  rowCount: number;
  /** Column names to sort the rows by in the file; insertion order when absent. */
  orderBy?: readonly string[];
  /** Parquet key-value metadata (e.g. experiment id, config hash). */
  kvMetadata: Readonly<Record<string, string>>;
}

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * Write a table to a Parquet file (ZSTD) through an in-memory DuckDB: rows are bulk-appended a data
 * chunk at a time (the Appender's fast path), then `COPY ... TO` writes a temporary file beside `path`
 * that is renamed over it (withAtomicFile()). Zero rows still make a valid file with the full schema.
 */
export async function writeParquetTable(
  path: string,
  columns: readonly ParquetColumn[],
  options: ParquetTableOptions,
): Promise<void> {
  await withAtomicFile(path, async (temporaryPath) => {
    // Two threads: the table is small, and the GPU host is busy with other work.
    const instance = await DuckDBInstance.create(":memory:", {
      threads: "2",
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    try {
      const connection = await instance.connect();
      try {
        const definitions = columns.map((column) =>
          `${quotedIdentifier(column.name)} ${column.type.toString()}`
        );
        await connection.run(`CREATE TABLE data (${definitions.join(", ")})`);
        const appender = await connection.createAppender("data");
        try {
          appendRows(appender, columns, options.rowCount);
        } finally {
          appender.closeSync();
        }
        const order = options.orderBy?.length
          ? ` ORDER BY ${options.orderBy.map(quotedIdentifier).join(", ")}`
          : "";
        await connection.run(
          `COPY (SELECT * FROM data${order}) TO ${quotedString(temporaryPath)} ` +
            `(FORMAT parquet, COMPRESSION zstd${kvMetadataClause(options.kvMetadata)})`,
        );
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  });
}

function appendRows(appender: DuckDBAppender, columns: readonly ParquetColumn[], rowCount: number): void {
  const types = columns.map((column) => column.type);
  for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, rowCount - start);
    const chunk = DuckDBDataChunk.create(types, size);
    chunk.setColumns(columns.map((column) => {
      const values = new Array<DuckDBValue>(size);
      for (let row = 0; row < size; row++) values[row] = column.value(start + row);
      return values;
    }));
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
}

function kvMetadataClause(kvMetadata: Readonly<Record<string, string>>): string {
  const entries = Object.entries(kvMetadata);
  if (entries.length === 0) return "";
  return `, KV_METADATA {${
    entries.map(([key, value]) => `${quotedString(key)}: ${quotedString(value)}`).join(", ")
  }}`;
}
