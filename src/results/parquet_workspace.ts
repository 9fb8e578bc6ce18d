import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { temporaryPathFor } from "./write_atomic.ts";

/** DuckDB's memory for the tables being written; beyond it, it spills to a folder beside the files. */
export const PARQUET_MEMORY_LIMIT = "256MB";

/** An in-memory DuckDB with llem's settings: two threads, bounded memory, no extension downloads. */
export async function parquetDuckDb(spillDir: string): Promise<DuckDBInstance> {
  // Two threads: the tables are small, and the GPU host is busy with other work.
  return await DuckDBInstance.create(":memory:", {
    threads: "2",
    memory_limit: PARQUET_MEMORY_LIMIT,
    temp_directory: spillDir,
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
}

/**
 * One DuckDB for all of a study's Parquet writes: each file gets a connection and a table of its own,
 * dropped when the file is written or discarded. Opening DuckDB costs more than writing a run's files, so
 * a study opens it once (on its first file), not twice per run. The spill folder is a hidden temporary
 * folder in the study directory (a resume removes what a killed llem left).
 */
export class ParquetWorkspace {
  #instance: Promise<DuckDBInstance> | null = null;
  #spillDir: string | null = null;
  #tables = 0;
  readonly #releasing = new Set<Promise<void>>();

  /** A connection and a fresh table name, for a file at `path` (in a run folder of the study). */
  async connect(path: string): Promise<{ connection: DuckDBConnection; table: string }> {
    if (this.#instance === null) {
      this.#spillDir = temporaryPathFor(join(path, "..", "..", ".parquet.spill"));
      this.#instance = parquetDuckDb(this.#spillDir);
    }
    const instance = await this.#instance;
    this.#tables += 1;
    return { connection: await instance.connect(), table: `data_${this.#tables}` };
  }

  /** Drop a file's table, so that its memory goes back to DuckDB, and close its connection. */
  release(connection: DuckDBConnection, table: string): Promise<void> {
    const released = connection.run(`DROP TABLE IF EXISTS ${table}`).then(() => {}, () => {}).finally(() => {
      connection.closeSync();
      this.#releasing.delete(released);
    });
    this.#releasing.add(released);
    return released;
  }

  /** Close DuckDB (after the tables being dropped) and remove its spill folder; safe to call twice. */
  async close(): Promise<void> {
    const instance = this.#instance;
    this.#instance = null;
    if (instance === null) return;
    await Promise.all([...this.#releasing]);
    try {
      (await instance).closeSync();
    } finally {
      try {
        Deno.removeSync(this.#spillDir!, { recursive: true });
      } catch { /* DuckDB never needed it */ }
    }
  }
}
