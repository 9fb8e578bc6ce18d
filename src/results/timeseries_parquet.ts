import type { ParquetWorkspace } from "./parquet_workspace.ts";
import { DOUBLE, ENUM, INTEGER, UBIGINT, VARCHAR } from "@duckdb/node-api";
import type { PowerSource } from "../gpu/gpu.ts";
import { PHASES, type TaggedSample } from "../gpu/sampler_protocol.ts";
import { type ParquetColumn, ParquetTableWriter } from "./write_parquet_table.ts";

/** What places samples in the experiment: its time origin, the GPUs' indices, the file's metadata. */
export interface TimeseriesParquetOptions {
  /** Unix seconds (sharedClockSeconds()) that become t = 0. */
  experimentStartSeconds: number;
  /** The gpu_idx written for each GPU, by UUID: schema 4.0's 0, 1, ... of a multi-GPU run. */
  gpuIndexByUuid: ReadonlyMap<string, number>;
  /** Parquet key-value metadata, e.g. experiment_id and measurement_config_hash. */
  kvMetadata: Readonly<Record<string, string>>;
  /** The study's DuckDB (ParquetWorkspace); without one, the file opens its own. */
  workspace?: ParquetWorkspace;
}

const MIB = 1024 * 1024;

/** Every PowerSource, checked complete by the compiler. */
const POWER_SOURCES = Object.keys({ instant_field: 0, power_usage: 0 } satisfies Record<PowerSource, 0>);

/** The columns of timeseries.parquet, in order, read from a sample. */
function timeseriesColumns(options: TimeseriesParquetOptions): ParquetColumn<TaggedSample>[] {
  const start = options.experimentStartSeconds;
  const gpuIndex = (sample: TaggedSample) => options.gpuIndexByUuid.get(sample.uuid)!;
  // DuckDB refuses an ENUM of no values; with no GPUs there are no samples either.
  const uuids = [...options.gpuIndexByUuid.keys()];
  return [
    { name: "t", type: DOUBLE, value: (s) => s.timeSeconds - start },
    { name: "gpu_idx", type: INTEGER, value: gpuIndex },
    { name: "power_w", type: DOUBLE, value: (s) => s.powerWatts },
    { name: "temperature_c", type: DOUBLE, value: (s) => s.temperatureCelsius },
    { name: "memory_used_mib", type: DOUBLE, value: (s) => mebibytes(s.memoryUsedBytes) },
    { name: "sm_clock_mhz", type: DOUBLE, value: (s) => s.smClockMhz },
    { name: "gpu_uuid", type: uuids.length > 0 ? ENUM(uuids) : VARCHAR, value: (s) => s.uuid },
    { name: "phase", type: ENUM(PHASES), value: (s) => s.phase },
    { name: "energy_j", type: DOUBLE, value: (s) => s.energyJoules },
    { name: "memory_clock_mhz", type: DOUBLE, value: (s) => s.memoryClockMhz },
    { name: "utilization_gpu_pct", type: DOUBLE, value: (s) => s.utilizationGpuPercent },
    { name: "utilization_memory_pct", type: DOUBLE, value: (s) => s.utilizationMemoryPercent },
    { name: "clock_event_reasons", type: UBIGINT, value: (s) => s.clockEventReasons },
    { name: "power_source", type: ENUM(POWER_SOURCES), value: (s) => s.powerSource },
    { name: "error_count", type: INTEGER, value: (s) => s.errorCount },
  ];
}

/**
 * An experiment's timeseries.parquet, written as its samples arrive (see ParquetTableWriter: bounded
 * memory for a window of any length): one row per sample and GPU, sorted by t then gpu_idx. Schema 4.0's
 * columns come first (t, gpu_idx, power_w, temperature_c, memory_used_mib, sm_clock_mhz), then gpu_uuid,
 * phase, energy_j (the cumulative counter), memory_clock_mhz, utilization_gpu_pct,
 * utilization_memory_pct, clock_event_reasons (raw bits), power_source and error_count. A reading that
 * failed stays null. The metadata also records experiment_start_unix_s, the absolute time of t = 0.
 */
export class TimeseriesWriter {
  readonly #path: string;
  readonly #gpuIndexByUuid: ReadonlyMap<string, number>;
  readonly #table: ParquetTableWriter<TaggedSample>;

  private constructor(
    path: string,
    options: TimeseriesParquetOptions,
    table: ParquetTableWriter<TaggedSample>,
  ) {
    this.#path = path;
    this.#gpuIndexByUuid = options.gpuIndexByUuid;
    this.#table = table;
  }

  /** Open the file's table; nothing is written at `path` until finish(). */
  static async open(path: string, options: TimeseriesParquetOptions): Promise<TimeseriesWriter> {
    const table = await ParquetTableWriter.open(path, timeseriesColumns(options), {
      kvMetadata: { ...options.kvMetadata, experiment_start_unix_s: String(options.experimentStartSeconds) },
      orderBy: ["t", "gpu_idx"],
      ...(options.workspace ? { workspace: options.workspace } : {}),
    });
    return new TimeseriesWriter(path, options, table);
  }

  /** Append samples; a sample of a GPU without an index is refused (nothing of the batch is appended). */
  append(samples: readonly TaggedSample[]): void {
    for (const sample of samples) {
      if (!this.#gpuIndexByUuid.has(sample.uuid)) {
        throw new Error(
          `Cannot write "${this.#path}": a sample is of GPU "${sample.uuid}", which is not among the ` +
            `experiment's GPUs (${[...this.#gpuIndexByUuid.keys()].map((uuid) => `"${uuid}"`).join(", ")})`,
        );
      }
    }
    this.#table.append(samples);
  }

  /** Write the file atomically. */
  finish(): Promise<void> {
    return this.#table.finish();
  }

  /** Write nothing and release the table (a failed run). */
  discard(): void {
    this.#table.discard();
  }
}

/** Write a whole experiment's samples at once (see TimeseriesWriter). */
export async function writeTimeseriesParquet(
  path: string,
  samples: readonly TaggedSample[],
  options: TimeseriesParquetOptions,
): Promise<void> {
  const writer = await TimeseriesWriter.open(path, options);
  try {
    writer.append(samples);
  } catch (error) {
    writer.discard();
    throw error;
  }
  await writer.finish();
}

function mebibytes(bytes: number | null): number | null {
  return bytes === null ? null : bytes / MIB;
}
