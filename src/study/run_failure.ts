import { LlemError } from "../errors/llem_error.ts";
import { GpuLost } from "../gpu/gpu_lost.ts";
import { SamplingFailed } from "../gpu/sampling_failed.ts";
import { DiskFull, NotWritable } from "../results/write_error.ts";
import { SessionError } from "../runners/harness_session.ts";
import { Interrupted } from "./interrupted.ts";

/** How a run failed, as the manifest records it, and what the failure means for the study. */
export interface RunFailure {
  /** The manifest's error type: EngineKilled, Timeout, GpuLost, DiskFull, the harness's own type... */
  type: string;
  message: string;
  /** The end of the engine's log, when the engine was involved. */
  logTail: string | null;
  /** The study cannot go on: a lost GPU, a full or read-only disk, an interrupt, a bug. */
  endsStudy: boolean;
  /** Ctrl-C or SIGTERM: the study ends as interrupted. */
  interrupted: boolean;
  /** Not an ordinary condition but a bug in llem: the study ends and the error keeps its stack (exit 1). */
  bug: unknown | null;
}

/** The manifest's type for each way a session can end badly (the harness's own error type aside). */
const SESSION_FAILURE_TYPES = {
  exited: "EngineExited",
  timeout: "Timeout",
  silent: "Silence",
  protocol: "ProtocolError",
} as const;

/**
 * What an error during a run means. A session failure, or another ordinary condition (a dataset that cannot
 * be read, energy that could not be measured), ends the run only; a lost GPU, a full or read-only disk or
 * an interrupt end the study; an error that is no ordinary condition is a bug, and ends the study too.
 */
export function describeRunFailure(error: unknown, signal: AbortSignal): RunFailure {
  const ordinary = { logTail: null, endsStudy: false, interrupted: false, bug: null };
  if (error instanceof Interrupted || signal.aborted) {
    const message = "the study was interrupted during this run";
    return { ...ordinary, type: "Interrupted", message, endsStudy: true, interrupted: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  const type = error instanceof Error ? error.name : "Error";
  if (error instanceof SessionError) {
    return { ...ordinary, type: sessionFailureType(error), message, logTail: lastLines(error.logTail) };
  }
  if (!(error instanceof LlemError)) return { ...ordinary, type, message, endsStudy: true, bug: error };
  const endsStudy = error instanceof GpuLost || error instanceof SamplingFailed ||
    error instanceof DiskFull ||
    error instanceof NotWritable;
  return { ...ordinary, type, message, endsStudy };
}

/** Lines of a log's tail the manifest keeps (the whole log is kept in failed-runs/). */
const MANIFEST_LOG_LINES = 40;

function lastLines(tail: string): string | null {
  const lines = tail.trimEnd().split("\n");
  const kept = lines.slice(-MANIFEST_LOG_LINES).join("\n");
  return kept.trim() === "" ? null : kept;
}

function sessionFailureType(error: SessionError): string {
  if (error.failure === "harness_error") return error.harnessError?.error_type ?? "HarnessError";
  // 137 is 128 + SIGKILL: the kernel's out-of-memory killer, or a container runtime's memory limit.
  if (error.failure === "exited" && error.exitCode === 137) return "EngineKilled";
  return SESSION_FAILURE_TYPES[error.failure];
}
