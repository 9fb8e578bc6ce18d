import { DuckDBInstance, DuckDBTypeId } from "@duckdb/node-api";
import { LlemError } from "../errors/llem_error.ts";
import { findStudyDirs } from "./find_study_dirs.ts";
import type { Manifest } from "./manifest_schema.ts";
import { readManifest } from "./manifest_store.ts";
import {
  CPU_TIMESERIES_FILE,
  REQUESTS_FILE,
  resolveInside,
  RESULT_FILE,
  TIMESERIES_FILE,
} from "./study_layout.ts";
import { isFile } from "./is_file.ts";

/** An SQL statement DuckDB refused (bad input, exit 2), with DuckDB's own message. */
export class QueryFailed extends LlemError {
  readonly kind = "bad_input";
}

/** What `llem query` answers: column names, and rows of JSON values (big integers as numbers or text). */
export interface QueryAnswer {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Integer types JSON output gives as text. */
const WIDE_INTEGERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** The views a query sees, and what each holds. */
export const QUERY_VIEWS = {
  runs: "one row per run of every study: its manifest entry (status, energy, error type, attempts)",
  experiments:
    "one row per completed run's result.json, nested fields as structs (latency_stats.ttft_median_ms)",
  timeseries: "every GPU sample of every run (timeseries.parquet), with study_dir and run_dir",
  requests: "every request of every run (requests.parquet), with study_dir and run_dir",
  cpu_timeseries:
    "every CPU energy reading (RAPL) of every run (cpu_timeseries.parquet), with study_dir and run_dir",
} as const;

/**
 * Run one SQL statement over studies with DuckDB: `dirs` are study directories or folders of them. Views
 * (QUERY_VIEWS) are made over the files themselves: nothing is copied, Parquet is read lazily. Offline:
 * extensions are never downloaded (JSON and Parquet are built in).
 */
export async function queryStudies(sql: string, dirs: readonly string[]): Promise<QueryAnswer> {
  const studies = dirs.flatMap((dir) => findStudyDirs(dir));
  const instance = await DuckDBInstance.create(":memory:", {
    threads: "2",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const connection = await instance.connect();
  try {
    for (const statement of viewStatements(studies)) {
      try {
        await connection.run(statement);
      } catch (error) {
        // Making a view reads each file's schema: a damaged file shows here.
        throw new QueryFailed(
          `cannot read the studies' files: ${(error as Error).message.split("\n")[0]}`,
          "a damaged file: llem run CONFIG DIR --resume measures a run with damaged files again",
          { cause: error },
        );
      }
    }
    let reader;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (error) {
      throw new QueryFailed(
        (error as Error).message,
        `the views are ${Object.keys(QUERY_VIEWS).join(", ")} ("llem query --help" says what each holds)`,
        { cause: error },
      );
    }
    const columns = reader.columnNames();
    const wide = columns.filter((_, i) => WIDE_INTEGERS.has(reader.columnTypes()[i]!.typeId));
    const rows = (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
      // JSON gives 64- and 128-bit integers as text; a count or sum that fits is a number.
      for (const column of wide) {
        const value = Number(row[column]);
        if (typeof row[column] === "string" && Number.isSafeInteger(value)) row[column] = value;
      }
      return row;
    });
    return { columns, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A study directory and its manifest. */
interface StudyFiles {
  dir: string;
  manifest: Manifest;
}

function viewStatements(dirs: readonly string[]): string[] {
  const studies: StudyFiles[] = dirs.map((dir) => ({ dir, manifest: readManifest(dir) }));
  const completed = studies.flatMap((study) =>
    study.manifest.experiments.filter((run) => run.status === "completed").map((run) => ({ study, run }))
  );
  // One llem writes every file of a kind with one schema: reading the first file's is enough, and much
  // faster over thousands of files; studies of several llem versions have their columns matched by name.
  const mixed = new Set(studies.map((study) => study.manifest.llem_version)).size > 1;
  const files = (name: string) =>
    completed.map(({ study, run }) => resolveInside(study.dir, `${run.dir}/${name}`)).filter(isFile);
  return [
    runsView(studies),
    fileView("experiments", { files: files(RESULT_FILE), reader: "read_json", mixed: true }),
    fileView("timeseries", { files: files(TIMESERIES_FILE), reader: "read_parquet", mixed }),
    fileView("requests", { files: files(REQUESTS_FILE), reader: "read_parquet", mixed }),
    fileView("cpu_timeseries", {
      files: files(CPU_TIMESERIES_FILE),
      reader: "read_parquet",
      mixed,
      // No host in these studies had readable RAPL counters: the view is empty, with its columns.
      emptyColumns: "NULL::DOUBLE AS t, NULL::VARCHAR AS domain, NULL::VARCHAR AS name, " +
        "NULL::INTEGER AS socket, NULL::DOUBLE AS energy_j, NULL::DOUBLE AS power_w",
    }),
  ];
}

const RUN_COLUMNS = [
  "study_name",
  "study_dir",
  "run_index",
  "cycle",
  "experiment",
  "measurement_config_hash",
  "engine",
  "model",
  "run_dir",
  "status",
  "started_at",
  "finished_at",
  "total_energy_j",
  "error_type",
  "attempts",
];

/** The manifests' runs as a view of VALUES rows (one typed row, filtered out, when there are none). */
function runsView(studies: readonly StudyFiles[]): string {
  const rows = studies.flatMap(({ dir, manifest }) =>
    manifest.experiments.map((run) => [
      manifest.study_name,
      dir,
      run.index,
      run.cycle,
      run.experiment,
      run.measurement_config_hash,
      run.engine,
      run.model,
      run.dir,
      run.status,
      run.started_at,
      run.finished_at,
      run.total_energy_j,
      run.error?.type ?? null,
      run.attempts,
    ])
  );
  const values = rows.length === 0
    ? `(${RUN_COLUMNS.map(() => "NULL").join(", ")})`
    : rows.map((row) => `(${row.map(sqlLiteral).join(", ")})`).join(", ");
  return `CREATE VIEW runs AS SELECT * FROM (VALUES ${values}) AS runs(${RUN_COLUMNS.join(", ")})` +
    (rows.length === 0 ? " WHERE false" : "");
}

/** A view over files, each row with the study and run it came from; an empty view when there are none. */
function fileView(
  name: string,
  source: { files: string[]; reader: "read_json" | "read_parquet"; mixed: boolean; emptyColumns?: string },
): string {
  if (source.files.length === 0) {
    const columns = source.emptyColumns ? `, ${source.emptyColumns}` : "";
    return `CREATE VIEW ${name} AS SELECT NULL::VARCHAR AS study_dir, NULL::VARCHAR AS run_dir${columns} WHERE false`;
  }
  const list = `[${source.files.map(sqlLiteral).join(", ")}]`;
  const options = source.reader === "read_json"
    ? "filename = true, union_by_name = true, format = 'auto', maximum_object_size = 268435456"
    : `filename = true${source.mixed ? ", union_by_name = true" : ""}`;
  // <study_dir>/<run_dir>/<file>: the two folders above each file.
  return `CREATE VIEW ${name} AS SELECT ` +
    `regexp_extract(filename, '^(.*)/[^/]+/[^/]+$', 1) AS study_dir, ` +
    `regexp_extract(filename, '([^/]+)/[^/]+$', 1) AS run_dir, * EXCLUDE (filename) ` +
    `FROM ${source.reader}(${list}, ${options})`;
}

function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "NULL";
  return `'${String(value).replaceAll("'", "''")}'`;
}
