import { join } from "node:path";
import type { CpuReading } from "../cpu/cpu_energy.ts";
import { cpuTimeseriesRows } from "../cpu/cpu_timeseries_rows.ts";
import type { Gpu } from "../gpu/gpu.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import { CPU_TIMESERIES_FILE, TIMESERIES_FILE } from "../results/study_layout.ts";
import type { SampleCollection } from "./sample_stream.ts";
import type { StudyContext } from "./study_context.ts";
import type { TimeseriesSink } from "./study_ports.ts";

/** A run's samples as they arrive: kept for its metrics, and streamed to its timeseries file. */
export interface RunRecording {
  /** The run's samples so far (its GPUs only), every phase, oldest first. */
  readonly samples: readonly TaggedSample[];
  /** Samples the sampler dropped during the run. */
  readonly droppedSamples: number;
  /** The CPU energy counters read during the run (a few a second, and at the window's edges). */
  readonly cpuReadings: readonly CpuReading[];
  /** Read the CPU energy counters now (a window's edge); null when the host has none readable. */
  readCpu(): CpuReading | null;
  /** Stop collecting; the samples stay readable. */
  stop(): void;
  /** Write timeseries.parquet and cpu_timeseries.parquet (when the config asks for a timeseries). */
  finish(): Promise<void>;
  /** Stop and write nothing (a failed run). */
  discard(): void;
}

/** What places the recording: the run's folder and GPUs, its time origin and the file's metadata. */
export interface RecordingTarget {
  runDir: string;
  /** The run's GPUs, in its order: gpu_idx 0, 1, ... */
  gpus: readonly Gpu[];
  /** Whether the config asks for timeseries.parquet. */
  timeseries: boolean;
  /** t = 0 of the timeseries, on the shared clock. */
  startSeconds: number;
  kvMetadata: Readonly<Record<string, string>>;
}

/**
 * How often a run reads the CPU's RAPL counters between the window's edges: for its CPU timeseries, and
 * so that a counter never wraps twice between two reads (it takes minutes to wrap once at full load).
 */
export const CPU_READ_INTERVAL_MS = 200;

/**
 * Start recording a run: from now on the stream hands this run its GPUs' samples (never another GPU's,
 * which a study whose experiments use different GPUs also samples), and each batch goes on to the
 * timeseries file as it comes, so a window of any length is written in bounded memory. The CPU's energy
 * counters are read every CPU_READ_INTERVAL_MS meanwhile, where the host has readable ones.
 */
export async function startRunRecording(
  context: StudyContext,
  target: RecordingTarget,
): Promise<RunRecording> {
  const sink: TimeseriesSink | null = target.timeseries
    ? await context.ports.files.openTimeseries(join(target.runDir, TIMESERIES_FILE), {
      experimentStartSeconds: target.startSeconds,
      gpuIndexByUuid: new Map(target.gpus.map((gpu, index) => [gpu.info.uuid, index])),
      kvMetadata: target.kvMetadata,
    })
    : null;
  let collection: SampleCollection;
  try {
    context.stream.pump();
    collection = context.stream.collect(
      target.gpus.map((gpu) => gpu.info.uuid),
      (batch) => sink?.append(batch),
    );
  } catch (error) {
    sink?.discard();
    throw error;
  }
  const cpu = startCpuReadings(context);
  const stop = () => {
    collection.close();
    cpu.stop();
  };
  return {
    get samples() {
      return collection.samples;
    },
    get droppedSamples() {
      return collection.droppedSamples;
    },
    cpuReadings: cpu.readings,
    readCpu: cpu.read,
    stop,
    async finish() {
      stop();
      if (collection.failure !== null) {
        sink?.discard();
        throw collection.failure;
      }
      await sink?.finish();
      if (target.timeseries && cpu.readings.length > 0) {
        await context.ports.files.writeCpuTimeseries(
          join(target.runDir, CPU_TIMESERIES_FILE),
          cpuTimeseriesRows(context.ports.cpuEnergy.domains, cpu.readings),
          {
            experimentStartSeconds: target.startSeconds,
            kvMetadata: target.kvMetadata,
          },
        );
      }
    },
    discard() {
      stop();
      sink?.discard();
    },
  };
}

/** The run's CPU energy readings: one now, then every CPU_READ_INTERVAL_MS until stop(). */
function startCpuReadings(context: StudyContext) {
  const { cpuEnergy, clock } = context.ports;
  const readings: CpuReading[] = [];
  if (cpuEnergy.domains.length === 0) return { readings, read: () => null, stop: () => {} };
  let stopped = false;
  const read = () => {
    const reading = cpuEnergy.read(clock.nowSeconds());
    if (!stopped) readings.push(reading);
    return reading;
  };
  read();
  const stopTimer = clock.every(CPU_READ_INTERVAL_MS, read);
  return {
    readings,
    read,
    stop() {
      stopped = true;
      stopTimer();
    },
  };
}
