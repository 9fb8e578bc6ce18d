import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";

/** What a Parquet file says about itself. */
export interface ParquetFileMetadata {
  numRows: number;
  /** The file's key-value metadata. */
  kvMetadata: Record<string, string>;
  /** Top-level column names, in file order. */
  columns: string[];
  /** Distinct compression codecs of the column chunks, e.g. ["ZSTD"]; empty for a file with no rows. */
  codecs: string[];
}

/** Which columns to read; all when absent. */
export interface ReadParquetRowsOptions {
  columns?: readonly string[];
}

/**
 * Every row of a Parquet file as an object keyed by column name, read in pure JavaScript (hyparquet, with
 * ZSTD and the other codecs), no DuckDB. INT64 columns come back as bigint, missing values as null.
 */
export function readParquetRows(
  path: string,
  options: ReadParquetRowsOptions = {},
): Promise<Record<string, unknown>[]> {
  return reading(path, async (file) => {
    const rows = await parquetReadObjects({
      file,
      compressors,
      ...(options.columns ? { columns: [...options.columns] } : {}),
    });
    // hyparquet leaves a null LIST as undefined; null is what the file says.
    for (const row of rows) {
      for (const key of Object.keys(row)) if (row[key] === undefined) row[key] = null;
    }
    return rows;
  });
}

/** The row count, key-value metadata, columns and codecs of a Parquet file. */
export function readParquetMetadata(path: string): Promise<ParquetFileMetadata> {
  return reading(path, (file) => {
    const metadata = parquetMetadata(file);
    return Promise.resolve({
      numRows: Number(metadata.num_rows),
      kvMetadata: Object.fromEntries(
        (metadata.key_value_metadata ?? []).map((entry) => [entry.key, entry.value ?? ""]),
      ),
      columns: parquetSchema(metadata).children.map((child) => child.element.name),
      codecs: [
        ...new Set(
          metadata.row_groups.flatMap((group) =>
            group.columns.flatMap((chunk) => chunk.meta_data?.codec ?? [])
          ),
        ),
      ],
    });
  });
}

/** Read the whole file (results files are megabytes) and parse it; any failure names the file. */
async function reading<T>(path: string, parse: (file: ArrayBuffer) => Promise<T>): Promise<T> {
  try {
    const bytes = await Deno.readFile(path);
    return await parse(
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes.buffer
        : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
  } catch (error) {
    throw new Error(`Cannot read "${path}": ${(error as Error).message}`, { cause: error });
  }
}
