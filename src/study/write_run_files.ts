import { join } from "node:path";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { DoneMessage } from "../results/experiment_measurement.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import { EFFECTIVE_CONFIG_FILE, REQUESTS_FILE, RESULT_FILE } from "../results/study_layout.ts";
import { writeJsonAtomic } from "../results/write_atomic.ts";
import type { RunRecording } from "./run_recording.ts";
import type { RunFileWriter } from "./study_ports.ts";

/** A finished run's record: what goes into its folder. */
export interface RunRecord {
  recording: RunRecording;
  done: DoneMessage;
  config: ExperimentConfig;
  result: ExperimentResult;
  /** Parquet key-value metadata of both files: experiment id, hashes, cycle, llem version. */
  kvMetadata: Readonly<Record<string, string>>;
}

/**
 * Write a run's folder: timeseries.parquet (streamed during the run, finished here), requests.parquet,
 * effective_config.json, and result.json last, so its presence marks the run's files complete.
 */
export async function writeRunFiles(
  runDir: string,
  record: RunRecord & { writer: RunFileWriter },
): Promise<string> {
  await record.recording.finish();
  await record.writer.writeRequests(join(runDir, REQUESTS_FILE), record.done.requests, {
    windowStartHarnessSeconds: record.done.started_s,
    kvMetadata: record.kvMetadata,
  });
  writeJsonAtomic(join(runDir, EFFECTIVE_CONFIG_FILE), record.config);
  const resultFile = join(runDir, RESULT_FILE);
  writeJsonAtomic(resultFile, record.result);
  return resultFile;
}
