import type { CpuEnergySource } from "../cpu/cpu_energy.ts";
import { writeCpuTimeseriesParquet } from "../results/cpu_timeseries_parquet.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { GpuSampler } from "../gpu/gpu_sampler.ts";
import type { StartSampler } from "../gpu/sampler.ts";
import { sharedClockSeconds } from "../gpu/sampler_protocol.ts";
import { ParquetWorkspace } from "../results/parquet_workspace.ts";
import { writeRequestsParquet } from "../results/requests_parquet.ts";
import { TimeseriesWriter } from "../results/timeseries_parquet.ts";
import { HarnessSession } from "../runners/harness_session.ts";
import type { StudyEvent } from "./study_events.ts";
import type { RunFileWriter, StudyClock, StudyPorts } from "./study_ports.ts";

/** The host's clocks: the sampler's shared clock for window edges, the system clock for records. */
export const SYSTEM_CLOCK: StudyClock = {
  nowSeconds: sharedClockSeconds,
  now: () => new Date(),
  sleep: (seconds, signal) =>
    new Promise<void>((resolve) => {
      if (seconds <= 0 || signal?.aborted) return resolve();
      const timer = setTimeout(done, seconds * 1000);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
};

/**
 * The real world, as the study runner reaches it: NVML's GPUs, the sampler worker on the same NVML
 * library, the CPU's RAPL counters, harness sessions through the one spawn site, the system clock, DuckDB's Parquet writers.
 */
export function llemPorts(
  gpuSystem: GpuSystem,
  io: {
    onEvent: (event: StudyEvent) => void;
    signal: AbortSignal;
    cpuEnergy: CpuEnergySource;
    startSampler?: StartSampler;
  },
): StudyPorts {
  return {
    gpuSystem,
    cpuEnergy: io.cpuEnergy,
    startSampler: io.startSampler ??
      ((start) => GpuSampler.start({ ...start, libraryPath: gpuSystem.libraryPath })),
    startSession: (start) =>
      HarnessSession.start(start.argv, {
        limits: start.limits,
        logPath: start.logPath,
        spawn: { env: start.env, ...(start.inherit ? { inherit: start.inherit } : {}) },
        ...(start.afterKill ? { afterKill: start.afterKill } : {}),
      }),
    clock: SYSTEM_CLOCK,
    files: studyParquetFiles(),
    onEvent: io.onEvent,
    signal: io.signal,
  };
}

/** The Parquet writers of one study, all through one DuckDB (opened on the first file, closed by close()). */
function studyParquetFiles(): RunFileWriter {
  const workspace = new ParquetWorkspace();
  return {
    openTimeseries: (path, options) => TimeseriesWriter.open(path, { ...options, workspace }),
    writeRequests: (path, requests, options) =>
      writeRequestsParquet(path, requests, { ...options, workspace }),
    writeCpuTimeseries: (path, rows, options) =>
      writeCpuTimeseriesParquet(path, rows, { ...options, workspace }),
    close: () => workspace.close(),
  };
}
