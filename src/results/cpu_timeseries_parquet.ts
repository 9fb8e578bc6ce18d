import { DOUBLE, ENUM, INTEGER, VARCHAR } from "@duckdb/node-api";
import type { CpuTimeseriesRow } from "../cpu/cpu_timeseries_rows.ts";
import type { ParquetWorkspace } from "./parquet_workspace.ts";
import { type ParquetColumn, writeParquetTable } from "./write_parquet_table.ts";

/** What places the rows: the experiment's t = 0 (as timeseries.parquet's), the file's metadata. */
export interface CpuTimeseriesParquetOptions {
  /** Unix seconds (the shared clock) that become t = 0. */
  experimentStartSeconds: number;
  kvMetadata: Readonly<Record<string, string>>;
  /** The study's DuckDB (ParquetWorkspace); without one, the file opens its own. */
  workspace?: ParquetWorkspace;
}

/**
 * Write a run's CPU energy readings to cpu_timeseries.parquet, one row per reading and RAPL domain, by
 * t: t (seconds from the experiment start, the same origin as timeseries.parquet), domain (the powercap
 * zone, e.g. intel-rapl:0:1), name (package-0, dram, core...), socket, energy_j (cumulative from the
 * run's first reading, wraps undone) and power_w (mean since the domain's previous reading).
 */
export async function writeCpuTimeseriesParquet(
  path: string,
  rows: readonly CpuTimeseriesRow[],
  options: CpuTimeseriesParquetOptions,
): Promise<void> {
  const start = options.experimentStartSeconds;
  const domains = [...new Set(rows.map((row) => row.domain))];
  const at = (row: number) => rows[row]!;
  const columns: ParquetColumn[] = [
    { name: "t", type: DOUBLE, value: (row) => at(row).timeSeconds - start },
    { name: "domain", type: domains.length > 0 ? ENUM(domains) : VARCHAR, value: (row) => at(row).domain },
    { name: "name", type: VARCHAR, value: (row) => at(row).name },
    { name: "socket", type: INTEGER, value: (row) => at(row).socket },
    { name: "energy_j", type: DOUBLE, value: (row) => at(row).energyJoules },
    { name: "power_w", type: DOUBLE, value: (row) => at(row).powerWatts },
  ];
  await writeParquetTable(path, columns, {
    rowCount: rows.length,
    kvMetadata: { ...options.kvMetadata, experiment_start_unix_s: String(start) },
    ...(options.workspace ? { workspace: options.workspace } : {}),
  });
}
