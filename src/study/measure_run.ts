import { join } from "node:path";
import type { PlannedRun } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { buildExperimentResult } from "../results/build_experiment_result.ts";
import type { ThermalFloorRecord } from "../results/experiment_measurement.ts";
import type { ManifestRun } from "../results/manifest_schema.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import { FAILED_RUNS_DIR, resolveInside, STUDY_ARTEFACTS_DIR } from "../results/study_layout.ts";
import { makeDirectory } from "../results/write_error.ts";
import { buildWorkload, selectPrompts } from "./build_workload.ts";
import {
  killEngineSession,
  openEngineSession,
  type OpenSession,
  type SessionTarget,
} from "./engine_session.ts";
import { experimentMeasurementOf } from "./experiment_measurement_of.ts";
import { throwIfInterrupted } from "./interrupted.ts";
import { loadPrompts } from "./load_prompts.ts";
import { measureWindow } from "./measure_window.ts";
import { describeRunFailure, type RunFailure } from "./run_failure.ts";
import { type RunRecording, startRunRecording } from "./run_recording.ts";
import { reportPhase, type StudyContext } from "./study_context.ts";
import { waitForThermalFloor } from "./thermal_floor.ts";
import { writeRunFiles } from "./write_run_files.ts";
import { maxOf } from "../measure/max_of.ts";

/** The session runs share: open while consecutive runs load the model alike. */
export interface SessionSlot {
  current: { session: OpenSession; logPath: string } | null;
}

/** One run to measure: its manifest entry, its plan entry, and whether a run came before it here. */
export interface RunJob {
  entry: ManifestRun;
  run: PlannedRun;
  /** A run ran before this one in this process: its gap applies. */
  afterAnother: boolean;
}

/** How a run ended: completed with its result, or failed and recorded. */
export type RunOutcome =
  | { kind: "completed"; result: ExperimentResult; resultFile: string }
  | { kind: "failed"; failure: RunFailure };

/**
 * Measure one run: the gap before it, a session (the open one when it loads alike), its prompts, the
 * thermal floor, the window, and its files; the manifest says it completed. Any failure is recorded as
 * the run's, with its session's log, and the session is killed.
 */
export async function measureRun(
  context: StudyContext,
  job: RunJob & { sessions: SessionSlot },
): Promise<RunOutcome> {
  const { run, entry, sessions } = job;
  const { ports, record } = context;
  const experiment = context.request.plan.experiments.find((e) => e.id === run.experiment)!;
  const gpus = context.gpusOf.get(experiment.id)!;
  ports.onEvent({
    type: "run_started",
    run: run.index,
    totalRuns: context.request.plan.runs.length,
    dir: entry.dir,
    cycle: run.cycle,
    model: run.model,
    engine: run.engine,
    session: run.session,
  });
  if (!record.runStarted(run.index)) return manifestUnwritable();
  const runDir = resolveInside(record.dir, entry.dir);
  let logPath = sessions.current?.logPath ?? null;
  let recording: RunRecording | null = null;
  try {
    // The run begins after the gap before it: its timeseries and start_time leave the pause out.
    await gapBefore(context, job);
    makeDirectory(runDir);
    const startTime = ports.clock.now();
    recording = await startRunRecording(context, {
      runDir,
      gpus,
      timeseries: experiment.config.measurement.timeseries,
      startSeconds: ports.clock.nowSeconds(),
      kvMetadata: kvMetadata(context, job),
    });
    if (!sessions.current) {
      const target = sessionTargetFor(context, { run, config: experiment.config, gpus });
      logPath = target.logPath;
      sessions.current = { session: await openEngineSession(context, target), logPath };
    }
    const measured = await measureOpenRun(context, {
      job,
      config: experiment.config,
      gpus,
      recording,
      startTime,
    });
    const result = buildExperimentResult(experimentMeasurementOf(context, measured));
    assertResultOf(result, entry);
    const resultFile = await writeRunFiles(runDir, {
      recording,
      done: measured.window.done,
      config: experiment.config,
      result,
      kvMetadata: kvMetadata(context, job),
      writer: ports.files,
    });
    record.runCompleted(run.index, result.total_energy_j);
    ports.onEvent({
      type: "run_completed",
      run: run.index,
      dir: entry.dir,
      energyJ: result.total_energy_j,
      outputTokens: result.total_tokens,
      tokensPerSecond: result.avg_tokens_per_second,
      mjPerTokenTotal: result.mj_per_tok_total,
      mjPerTokenAdjusted: result.mj_per_tok_adjusted,
      windowSeconds: measured.window.endSeconds - measured.window.startSeconds,
      warnings: result.measurement_warnings.length,
    });
    return { kind: "completed", result, resultFile };
  } catch (error) {
    recording?.discard();
    return await runFailed(context, { job, error, logPath, runDir });
  }
}

/**
 * A result about to be stored is the entry's: its experiment id (the directory), config hash and cycle.
 * Anything else is a bug, and nothing of it is written.
 */
function assertResultOf(result: ExperimentResult, entry: ManifestRun): void {
  const expected = [entry.dir, entry.measurement_config_hash, entry.cycle];
  const found = [result.experiment_id, result.measurement_config_hash, result.cycle];
  if (expected.some((value, i) => value !== found[i])) {
    throw new Error(
      `the result of run ${entry.index} is of ${found.join(", ")}, not of ${expected.join(", ")}: not stored`,
    );
  }
}

/** The prompts, the thermal floor and the window of a run whose session is open. */
async function measureOpenRun(
  context: StudyContext,
  parts: {
    job: RunJob & { sessions: SessionSlot };
    config: ExperimentConfig;
    gpus: readonly Gpu[];
    recording: RunRecording;
    startTime: Date;
  },
) {
  const { job, config, gpus, recording } = parts;
  const session = job.sessions.current!.session;
  const prompts = config.dataset.source === "synthetic" ? null : selectPrompts(
    await loadPrompts(
      {
        source: config.dataset.source,
        path: config.dataset.path!,
        prompt_field: config.dataset.prompt_field,
      },
      context.request.host.cwd,
    ),
    config.dataset,
  );
  const warnings: string[] = [];
  const thermalFloor = await thermalFloorBefore(context, { run: job.run.index, config, gpus, warnings });
  const window = await measureWindow(context, {
    run: job.run.index,
    session,
    gpus,
    workload: buildWorkload(config, { prompts }),
    readCpu: recording.readCpu,
  });
  reportPhase(context, { name: "writing", run: job.run.index, detail: job.entry.dir });
  recording.stop();
  if (recording.droppedSamples > 0) {
    warnings.push(
      `the sampler dropped ${recording.droppedSamples} sample(s) that were not collected in time; ` +
        "the timeseries has gaps and integrated energy may be off",
    );
  }
  return {
    run: job.run,
    dir: job.entry.dir,
    config,
    gpus,
    session,
    window,
    samples: recording.samples,
    cpuReadings: recording.cpuReadings,
    thermalFloor,
    warnings,
    startTime: parts.startTime,
    endTime: context.ports.clock.now(),
  };
}

/** The pause before a run (none before the first run of this process: nothing ran before it). */
async function gapBefore(context: StudyContext, job: RunJob): Promise<void> {
  const { run } = job;
  if (!job.afterAnother || run.gap_before_seconds <= 0) return;
  reportPhase(context, {
    name: "gap",
    run: run.index,
    detail: `${run.gap_kind} gap of ${run.gap_before_seconds} s`,
  });
  await context.ports.clock.sleep(run.gap_before_seconds, context.ports.signal);
  throwIfInterrupted(context.ports.signal);
}

/** Wait for the GPUs to cool toward their idle temperature; a floor not reached is a warning. */
async function thermalFloorBefore(
  context: StudyContext,
  target: { run: number; config: ExperimentConfig; gpus: readonly Gpu[]; warnings: string[] },
): Promise<ThermalFloorRecord | null> {
  const { ports } = context;
  const idle = target.gpus.map((g) => context.baselines.get(g.info.uuid)?.temperatureCelsius ?? null)
    .filter((t): t is number => t !== null);
  const floor = await waitForThermalFloor(target.config.measurement.thermal_floor, {
    idleCelsius: maxOf(idle),
    readTemperature: () => {
      const temps = target.gpus.map((g) => g.sample(ports.clock.nowSeconds()).temperatureCelsius)
        .filter((t): t is number => t !== null);
      return maxOf(temps);
    },
    clock: ports.clock,
    signal: ports.signal,
  });
  throwIfInterrupted(ports.signal);
  if (!floor) return null;
  reportPhase(context, {
    name: "thermal_floor",
    run: target.run,
    detail: `waited ${floor.waitedSeconds.toFixed(1)} s`,
  });
  if (!floor.reached) {
    context.record.warn(
      target.run,
      `the GPU did not cool to ${
        floor.targetTemperatureCelsius?.toFixed(0)
      } °C within ${target.config.measurement.thermal_floor.max_seconds} s`,
    );
  }
  return floor;
}

/** What opening a session for a run needs: its id, and its log in _study-artefacts/sessions/. */
function sessionTargetFor(
  context: StudyContext,
  target: { run: PlannedRun; config: ExperimentConfig; gpus: readonly Gpu[] },
): SessionTarget {
  const { run } = target;
  const sessionId = `${Deno.pid}-${run.session}-${crypto.randomUUID().slice(0, 8)}`;
  const logDir = join(context.record.dir, STUDY_ARTEFACTS_DIR, "sessions");
  makeDirectory(logDir);
  return {
    run,
    config: target.config,
    gpus: target.gpus,
    runner: context.runners.get(run.experiment)!,
    sessionId,
    logPath: join(logDir, `session-${String(run.session).padStart(3, "0")}-${sessionId}.log`),
  };
}

/** Parquet key-value metadata of a run's files. */
function kvMetadata(context: StudyContext, job: RunJob): Record<string, string> {
  return {
    experiment_id: job.entry.dir,
    measurement_config_hash: job.run.measurement_config_hash,
    study_design_hash: context.request.plan.study_design_hash,
    cycle: String(job.run.cycle),
    llem_version: context.request.llem.version,
  };
}

/** Record a failed run: the failure, its session's log kept under failed-runs/, the session killed. */
async function runFailed(
  context: StudyContext,
  failed: { job: RunJob & { sessions: SessionSlot }; error: unknown; logPath: string | null; runDir: string },
): Promise<RunOutcome> {
  const { job } = failed;
  context.stream.setPhase("idle");
  const failure = describeRunFailure(failed.error, context.ports.signal);
  const open = job.sessions.current;
  job.sessions.current = null;
  if (open) await killEngineSession(open.session);
  removeIfEmpty(failed.runDir);
  const logFile = failed.logPath
    ? keepLog(context.record.dir, { logPath: failed.logPath, runDir: job.entry.dir })
    : null;
  const recorded = context.record.runFailed(job.run.index, {
    type: failure.type,
    message: failure.message,
    log_tail: failure.logTail,
    log_file: logFile,
  });
  if (!failure.interrupted) {
    context.ports.onEvent({
      type: "run_failed",
      run: job.run.index,
      dir: job.entry.dir,
      errorType: failure.type,
      message: failure.message,
      logFile,
    });
  }
  return { kind: "failed", failure: { ...failure, endsStudy: failure.endsStudy || !recorded } };
}

/** The failure when not even the manifest could be written: the study stops, its last manifest intact. */
function manifestUnwritable(): RunOutcome {
  const message = "manifest.json could not be updated";
  return {
    kind: "failed",
    failure: { type: "DiskFull", message, logTail: null, endsStudy: true, interrupted: false, bug: null },
  };
}

/** Copy a failed session's log to failed-runs/<run dir>.log; its path relative to the study, or null. */
function keepLog(studyDir: string, log: { logPath: string; runDir: string }): string | null {
  try {
    makeDirectory(join(studyDir, FAILED_RUNS_DIR));
    const relative = `${FAILED_RUNS_DIR}/${log.runDir}.log`;
    Deno.copyFileSync(log.logPath, join(studyDir, relative));
    return relative;
  } catch {
    return null;
  }
}

/** A failed run's folder holds nothing worth keeping when it is empty. */
function removeIfEmpty(dir: string): void {
  try {
    Deno.removeSync(dir);
  } catch { /* absent, or not empty */ }
}
