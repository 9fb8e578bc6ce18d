import { join } from "node:path";
import type { Gpu } from "../gpu/gpu.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import { TIMESERIES_FILE } from "../results/study_layout.ts";
import type { SampleCollection } from "./sample_stream.ts";
import type { StudyContext } from "./study_context.ts";
import type { TimeseriesSink } from "./study_ports.ts";

/** A run's samples as they arrive: kept for its metrics, and streamed to its timeseries file. */
export interface RunRecording {
  /** The run's samples so far (its GPUs only), every phase, oldest first. */
  readonly samples: readonly TaggedSample[];
  /** Samples the sampler dropped during the run. */
  readonly droppedSamples: number;
  /** Stop collecting; the samples stay readable. */
  stop(): void;
  /** Write timeseries.parquet (when the config asks for it). */
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
 * Start recording a run: from now on the stream hands this run its GPUs' samples (never another GPU's,
 * which a study whose experiments use different GPUs also samples), and each batch goes on to the
 * timeseries file as it comes, so a window of any length is written in bounded memory.
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
  return {
    get samples() {
      return collection.samples;
    },
    get droppedSamples() {
      return collection.droppedSamples;
    },
    stop: () => collection.close(),
    async finish() {
      collection.close();
      if (collection.failure !== null) {
        sink?.discard();
        throw collection.failure;
      }
      await sink?.finish();
    },
    discard() {
      collection.close();
      sink?.discard();
    },
  };
}
