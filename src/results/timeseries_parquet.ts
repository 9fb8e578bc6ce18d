import { DOUBLE, ENUM, INTEGER, UBIGINT, VARCHAR } from "@duckdb/node-api";
import type { PowerSource } from "../gpu/gpu.ts";
import { PHASES, type TaggedSample } from "../gpu/sampler_protocol.ts";
import { type ParquetColumn, writeParquetTable } from "./write_parquet_table.ts";

/** What places samples in the experiment: its time origin, the GPUs' indices, the file's metadata. */
export interface TimeseriesParquetOptions {
  /** Unix seconds (sharedClockSeconds()) that become t = 0. */
  experimentStartSeconds: number;
  /** The gpu_idx written for each GPU, by UUID: the seed's 0, 1, ... of a multi-GPU run. */
  gpuIndexByUuid: ReadonlyMap<string, number>;
  /** Parquet key-value metadata, e.g. experiment_id and measurement_config_hash. */
  kvMetadata: Readonly<Record<string, string>>;
}

const MIB = 1024 * 1024;

/** Every PowerSource, checked complete by the compiler. */
const POWER_SOURCES = Object.keys({ instant_field: 0, power_usage: 0 } satisfies Record<PowerSource, 0>);

/**
 * Write an experiment's GPU samples to timeseries.parquet, one row per sample and GPU, sorted by t then
 * gpu_idx. The seed's columns come first (t, gpu_idx, power_w, temperature_c, memory_used_mib,
 * sm_clock_mhz), then gpu_uuid, phase, energy_j (the cumulative counter), memory_clock_mhz,
 * utilization_gpu_pct, utilization_memory_pct, clock_event_reasons (raw bits), power_source and
 * error_count. A reading that failed stays null. The metadata also records experiment_start_unix_s, the
 * absolute time of t = 0.
 */
export async function writeTimeseriesParquet(
  path: string,
  samples: readonly TaggedSample[],
  options: TimeseriesParquetOptions,
): Promise<void> {
  const sampleGpuIndices = samples.map((sample) => {
    const index = options.gpuIndexByUuid.get(sample.uuid);
    if (index === undefined) {
      throw new Error(
        `Cannot write "${path}": a sample is of GPU "${sample.uuid}", which is not among the experiment's GPUs ` +
          `(${[...options.gpuIndexByUuid.keys()].map((uuid) => `"${uuid}"`).join(", ")})`,
      );
    }
    return index;
  });
  // Samples arrive in time order per GPU; the sort mostly confirms it (TimSort is linear on sorted runs).
  const order = [...samples.keys()].sort((a, b) =>
    samples[a]!.timeSeconds - samples[b]!.timeSeconds || sampleGpuIndices[a]! - sampleGpuIndices[b]!
  );
  const at = (row: number) => samples[order[row]!]!;
  const gpuIndex = (row: number) => sampleGpuIndices[order[row]!]!;
  const start = options.experimentStartSeconds;
  // DuckDB refuses an ENUM of no values; with no GPUs there are no samples either.
  const uuids = [...options.gpuIndexByUuid.keys()];
  const columns: ParquetColumn[] = [
    { name: "t", type: DOUBLE, value: (row) => at(row).timeSeconds - start },
    { name: "gpu_idx", type: INTEGER, value: gpuIndex },
    { name: "power_w", type: DOUBLE, value: (row) => at(row).powerWatts },
    { name: "temperature_c", type: DOUBLE, value: (row) => at(row).temperatureCelsius },
    { name: "memory_used_mib", type: DOUBLE, value: (row) => mebibytes(at(row).memoryUsedBytes) },
    { name: "sm_clock_mhz", type: DOUBLE, value: (row) => at(row).smClockMhz },
    { name: "gpu_uuid", type: uuids.length > 0 ? ENUM(uuids) : VARCHAR, value: (row) => at(row).uuid },
    { name: "phase", type: ENUM(PHASES), value: (row) => at(row).phase },
    { name: "energy_j", type: DOUBLE, value: (row) => at(row).energyJoules },
    { name: "memory_clock_mhz", type: DOUBLE, value: (row) => at(row).memoryClockMhz },
    { name: "utilization_gpu_pct", type: DOUBLE, value: (row) => at(row).utilizationGpuPercent },
    { name: "utilization_memory_pct", type: DOUBLE, value: (row) => at(row).utilizationMemoryPercent },
    { name: "clock_event_reasons", type: UBIGINT, value: (row) => at(row).clockEventReasons },
    { name: "power_source", type: ENUM(POWER_SOURCES), value: (row) => at(row).powerSource },
    { name: "error_count", type: INTEGER, value: (row) => at(row).errorCount },
  ];
  await writeParquetTable(path, columns, {
    rowCount: samples.length,
    kvMetadata: { ...options.kvMetadata, experiment_start_unix_s: String(start) },
  });
}

function mebibytes(bytes: number | null): number | null {
  return bytes === null ? null : bytes / MIB;
}
