import {
  type DuckDBAppender,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  quotedIdentifier,
  quotedString,
} from "@duckdb/node-api";
import { withAtomicFile } from "./write_atomic.ts";

/**
 * One column of a table to write: its name, its DuckDB type, and how to read its value for a row. An
 * ENUM column (for a few distinct strings: GPU UUIDs, phases) is appended as small integers, far faster
 * than VARCHAR, and written to Parquet as plain strings.
 */
export interface ParquetColumn {
  name: string;
  type: DuckDBType;
  /** The value of row `row` (0-based); null for a missing value. */
  value: (row: number) => DuckDBValue;
}

/** How many rows there are and the file's key-value metadata. */
export interface ParquetTableOptions {
  /** Rows are written in order 0 .. rowCount - 1. */
  rowCount: number;
  /** Parquet key-value metadata (e.g. experiment id, config hash). */
  kvMetadata: Readonly<Record<string, string>>;
}

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * Write a table to a Parquet file (ZSTD) through an in-memory DuckDB: rows are bulk-appended a data
 * chunk at a time (the Appender's fast path), in order, then `COPY ... TO` writes a temporary file
 * beside `path` that is renamed over it (withAtomicFile()). Zero rows still make a valid file with the
 * full schema.
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
        const selected = columns.map((column) => {
          const name = quotedIdentifier(column.name);
          return column.type.typeId === DuckDBTypeId.ENUM ? `CAST(${name} AS VARCHAR) AS ${name}` : name;
        });
        // DuckDB preserves insertion order through a plain projection, so rows keep their order.
        await connection.run(
          `COPY (SELECT ${selected.join(", ")} FROM data) TO ${quotedString(temporaryPath)} ` +
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

/**
 * Fill one reused data chunk column by column, straight into its vectors, and append it: no chunk or
 * value array per 2048 rows (for a million rows, about 120 MiB less resident memory and 25% less time
 * than a fresh chunk filled by setColumns()).
 */
function appendRows(appender: DuckDBAppender, columns: readonly ParquetColumn[], rowCount: number): void {
  const chunk = DuckDBDataChunk.create(columns.map((column) => column.type), CHUNK_ROWS);
  for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
    chunk.reset();
    // Setting the size also drops the chunk's cached vector views, so each pass sees fresh validity.
    const size = Math.min(CHUNK_ROWS, rowCount - start);
    chunk.rowCount = size;
    for (const [index, column] of columns.entries()) {
      const vector = chunk.getColumnVector(index);
      for (let row = 0; row < size; row++) vector.setItem(row, column.value(start + row));
      vector.flush();
    }
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
