import { join } from "node:path";
import type { PlannedRun, StudyPlan } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { LlemError } from "../errors/llem_error.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { selectGpus } from "../gpu/select_gpus.ts";
import type { Manifest, ManifestRun, StudyStatus } from "../results/manifest_schema.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import { claimStudyDir } from "../results/claim_study_dir.ts";
import { runsLeft } from "../results/run_files_problem.ts";
import { lockStudy, type StudyLock, withShardsLock } from "../results/study_lock.ts";
import { studyDirName } from "../results/study_layout.ts";
import { manifestHolder, openShard, shardRunsToFinish } from "./open_shard.ts";
import { closeEngineSession } from "./engine_session.ts";
import { acquireGpuLocks, type GpuLocks } from "./gpu_lock.ts";
import { Interrupted, throwIfInterrupted } from "./interrupted.ts";
import { measureBaselines } from "./measure_baselines.ts";
import { measureRun, type SessionSlot } from "./measure_run.ts";
import { SampleStream } from "./sample_stream.ts";
import type { StudyContext, StudySetup } from "./study_context.ts";
import type { StudyPorts } from "./study_ports.ts";
import { dirMatchesRun, sameRun } from "./resume_mismatch.ts";
import { StudyRecord, writeShardUnion } from "./study_record.ts";
import type { StudyRequest } from "./study_request.ts";
import { minOf } from "../measure/max_of.ts";

/** What a study run returns to the library API (its StudyResult, plus the directory). */
export interface StudyOutcome {
  status: StudyStatus;
  studyDir: string;
  manifest: Manifest;
  /** Results completed by this invocation, in execution order. */
  experiments: ExperimentResult[];
  resultFiles: string[];
}

/** What a study holds while it runs, released however it ends. */
interface Held {
  locks: GpuLocks | null;
  stream: SampleStream | null;
  sessions: SessionSlot;
}

/**
 * Run a plan: per-GPU locks, one sampler, bare-idle baselines, then every pending run in order, sharing a
 * session between consecutive runs that load the model alike. A failed run is recorded and the study goes
 * on with a fresh session, up to the circuit breaker; a lost GPU or a full disk ends it as failed; Ctrl-C
 * leaves it interrupted and resumable. Everything outside llem is reached through `ports`.
 */
export async function runStudy(setup: StudySetup, ports: StudyPorts): Promise<StudyOutcome> {
  const { request } = setup;
  // execution.wall_clock_timeout_hours counts from here: each llem that runs the study has its own.
  const startedSeconds = ports.clock.nowSeconds();
  const gpusOf = experimentGpus(setup, ports);
  const held: Held = { locks: null, stream: null, sessions: { current: null } };
  const unfinished = runsToFinish(request);
  const used = [...new Set(unfinished.flatMap((run) => gpusOf.get(run.experiment)!))];
  const { record, studyLock } = await openStudy(setup, { ports, held, used });
  const pending = record.pendingRuns();
  ports.onEvent({
    type: "study_started",
    studyDir: record.dir,
    studyName: request.plan.study_name,
    totalRuns: request.plan.runs.length,
    alreadyCompleted: record.alreadyCompleted,
    resumed: request.resume !== null,
    picked: request.resume?.picked ?? null,
    gpus: used.map((gpu) => gpu.info.uuid),
  });
  const results: Pick<StudyOutcome, "experiments" | "resultFiles"> = { experiments: [], resultFiles: [] };
  let status: StudyStatus;
  let bug: { error: unknown } | null = null;
  try {
    status = pending.length === 0
      ? "completed"
      : await measurePending(setup, { ports, record, pending, gpusOf, used, held, results, startedSeconds });
  } catch (error) {
    ({ status, bug } = statusAfter(error, { record, signal: ports.signal }));
  } finally {
    await release(held);
  }
  // The session, the sampler and the GPU locks are released; the last manifest write, then the study lock.
  const manifest = await finishStudy(record, { status, studyLock, shardedDir: request.shard?.dir ?? null });
  if (bug) throw bug.error;
  const { summary } = manifest;
  ports.onEvent({
    type: "study_finished",
    status,
    studyDir: record.dir,
    completed: summary.completed,
    failed: summary.failed,
    pending: summary.pending,
    totalEnergyJ: summary.total_energy_j,
    wallSeconds: summary.total_wall_time_s,
  });
  return { status, studyDir: record.dir, manifest, ...results };
}

/**
 * Take the study: a resumed study's lock first (refused at once while another llem runs it), then every
 * GPU's lock (waiting, or refused under --no-wait), and only then a new study's directory and lock: a busy
 * GPU or an interrupt while waiting leaves nothing behind. The resumed manifest is read again under the
 * locks.
 */
async function openStudy(
  setup: StudySetup,
  parts: { ports: StudyPorts; held: Held; used: Gpu[] },
): Promise<{ record: StudyRecord; studyLock: StudyLock }> {
  const { request } = setup;
  const { ports, held } = parts;
  if (request.shard) {
    const opened = await openShard(setup, {
      ports,
      lockGpus: (dir) => parts.used.length > 0 ? lockGpus(setup, { ports, dir, gpus: parts.used }) : null,
    });
    held.locks = opened.locks;
    return opened;
  }
  const resumeDir = request.resume?.dir ?? null;
  let studyLock = resumeDir === null
    ? null
    : await lockStudy(resumeDir, { holder: () => manifestHolder(resumeDir, null) });
  try {
    const planned = resumeDir ??
      join(request.outputDir, studyDirName(request.plan.study_name, ports.clock.now()));
    if (parts.used.length > 0) held.locks = await lockGpus(setup, { ports, dir: planned, gpus: parts.used });
    const dir = resumeDir ?? claimStudyDir(request.outputDir, {
      name: request.plan.study_name,
      now: ports.clock.now(),
    });
    studyLock ??= await lockStudy(dir);
    return { record: StudyRecord.open(request, { dir, onEvent: ports.onEvent }), studyLock };
  } catch (error) {
    held.locks?.release();
    held.locks = null;
    studyLock?.release();
    throw error;
  }
}

/**
 * The study's statistics and status written (a shard's in its part, then the union in manifest.json),
 * then its lock given back: the last write is this llem's.
 */
async function finishStudy(
  record: StudyRecord,
  end: { status: StudyStatus; studyLock: StudyLock; shardedDir: string | null },
): Promise<Manifest> {
  try {
    const manifest = record.finish(end.status);
    const dir = end.shardedDir;
    if (dir !== null) {
      await withShardsLock(dir, () => writeShardUnion(dir)).catch((error) =>
        record.warn(null, `manifest.json (the shards' union) was not rewritten: ${(error as Error).message}`)
      );
    }
    return manifest;
  } finally {
    end.studyLock.release();
  }
}

/**
 * The runs a new study will do, or those a resumed study has not completed: as prepareResume() decides,
 * a run marked completed whose files are not whole runs again.
 */
function runsToFinish(request: StudyRequest): { experiment: number }[] {
  if (request.shard) return shardRunsToFinish(request.shard, request.plan);
  if (!request.resume) return request.plan.runs;
  return runsLeft(request.resume.dir, request.resume.manifest.experiments);
}

/**
 * Take every GPU's lock for this study: wait (saying who holds it) or, under --no-wait, refuse with
 * GpuBusy (exit 3). The locks die with llem, even under kill -9.
 */
async function lockGpus(
  setup: StudySetup,
  study: { ports: StudyPorts; dir: string; gpus: readonly Gpu[] },
): Promise<GpuLocks> {
  const { ports } = study;
  return await acquireGpuLocks(study.gpus.map((gpu) => gpu.info.uuid), {
    dir: setup.request.locations.lockDir,
    wait: !setup.request.noWait,
    holder: {
      pid: Deno.pid,
      hostname: setup.host.hostname ?? "",
      study: study.dir,
      since: ports.clock.now().toISOString(),
    },
    onWait: (uuid, holder) =>
      ports.onEvent({
        type: "lock_wait",
        uuid,
        holder: holder ? `pid ${holder.pid} on ${holder.hostname} (${holder.study})` : "another llem",
      }),
    signal: ports.signal,
  }).catch((error) => {
    // Waiting for a lock ends with the signal's reason when the user stops llem; nothing was started.
    if (ports.signal.aborted) throw new Interrupted(null);
    throw error;
  });
}

/** The GPUs of every experiment, by experiment id, in the order the experiment names them. */
function experimentGpus(setup: StudySetup, ports: StudyPorts): Map<number, Gpu[]> {
  const gpus = ports.gpuSystem.gpus;
  const infos = gpus.map((gpu) => gpu.info);
  return new Map(setup.request.plan.experiments.map((experiment) => [
    experiment.id,
    selectGpus(infos, experiment.config.gpus, setup.request.host.gpuEnvironment)
      .map((uuid) => gpus.find((gpu) => gpu.info.uuid === uuid)!),
  ]));
}

/**
 * The study's state once it stopped on an error outside a run: interrupted, or failed; an error that is no
 * ordinary condition is a bug, rethrown once the study is finished as failed.
 */
function statusAfter(
  error: unknown,
  study: { record: StudyRecord; signal: AbortSignal },
): { status: StudyStatus; bug: { error: unknown } | null } {
  if (error instanceof Interrupted || study.signal.aborted) return { status: "interrupted", bug: null };
  if (error instanceof LlemError) {
    // A lost GPU at the sampler's start or in the baseline, a full disk, a busy GPU: the manifest says why.
    study.record.warn(null, `the study stopped: ${error.message}`);
    return { status: "failed", bug: null };
  }
  study.record.warn(null, `the study failed: ${error instanceof Error ? error.message : String(error)}`);
  return { status: "failed", bug: { error } };
}

/** Locks, the sampler and the baselines, then the pending runs. */
async function measurePending(
  setup: StudySetup,
  parts: {
    ports: StudyPorts;
    record: StudyRecord;
    pending: ManifestRun[];
    gpusOf: Map<number, Gpu[]>;
    used: Gpu[];
    held: Held;
    results: Pick<StudyOutcome, "experiments" | "resultFiles">;
    startedSeconds: number;
  },
): Promise<StudyStatus> {
  const { ports, record, pending, used, held } = parts;
  const uuids = used.map((gpu) => gpu.info.uuid);
  const configs = pending.map((entry) => configOf(setup, entry.experiment));
  const intervalMs = minOf(configs.map((config) => config.measurement.sample_interval_ms))!;
  held.stream = new SampleStream(await ports.startSampler({ uuids, intervalMs, phase: "idle" }), ports.clock);
  const base = { ...setup, ports, record, stream: held.stream, gpusOf: parts.gpusOf };
  const baselines = await measureBaselines(base, { configs, gpus: used });
  return await runPending({ ...base, baselines }, {
    pending,
    sessions: held.sessions,
    results: parts.results,
    startedSeconds: parts.startedSeconds,
  });
}

function configOf(setup: StudySetup, experimentId: number): ExperimentConfig {
  return setup.request.plan.experiments.find((e) => e.id === experimentId)!.config;
}

/**
 * The pending runs in order: a session closes when the next run loads differently; the circuit breaker
 * stops the study after max_consecutive_failures failed runs in a row, and wall_clock_timeout_hours
 * before the first run that would begin after it (the run in flight finishes; the rest are skipped).
 */
async function runPending(
  context: StudyContext,
  work: {
    pending: ManifestRun[];
    sessions: SessionSlot;
    results: Pick<StudyOutcome, "experiments" | "resultFiles">;
    startedSeconds: number;
  },
): Promise<StudyStatus> {
  const { plan } = context.request;
  const limit = plan.execution.max_consecutive_failures;
  let consecutiveFailures = 0;
  for (const [position, entry] of work.pending.entries()) {
    throwIfInterrupted(context.ports.signal);
    if (pastWallClockLimit(context, work.startedSeconds)) {
      skipRemaining(context, work.pending.slice(position));
      return "stopped";
    }
    const run = plannedRunOf(plan, entry);
    if (work.sessions.current && work.sessions.current.session.planSession !== run.session) {
      await closeSession(work.sessions);
    }
    const outcome = await measureRun(context, {
      entry,
      run,
      afterAnother: position > 0,
      sessions: work.sessions,
    });
    if (outcome.kind === "completed") {
      work.results.experiments.push(outcome.result);
      work.results.resultFiles.push(outcome.resultFile);
      consecutiveFailures = 0;
      continue;
    }
    if (outcome.failure.interrupted) return "interrupted";
    // Recorded as the run's failure; the study ends with the bug's trace (exit 1), resumable once fixed.
    if (outcome.failure.bug !== null) throw outcome.failure.bug;
    if (outcome.failure.endsStudy) return "failed";
    consecutiveFailures += 1;
    if (limit > 0 && consecutiveFailures >= limit) {
      context.record.warn(
        null,
        `stopped after ${consecutiveFailures} consecutive failures (max_consecutive_failures: ${limit})`,
      );
      return "stopped";
    }
  }
  return "completed";
}

/** Whether execution.wall_clock_timeout_hours has passed since this llem began the study. */
function pastWallClockLimit(context: StudyContext, startedSeconds: number): boolean {
  const hours = context.request.plan.execution.wall_clock_timeout_hours;
  return hours !== null && context.ports.clock.nowSeconds() - startedSeconds >= hours * 3600;
}

/** The runs the wall-clock limit leaves out: skipped, with the reason; a resume runs them. */
function skipRemaining(context: StudyContext, runs: readonly ManifestRun[]): void {
  const hours = context.request.plan.execution.wall_clock_timeout_hours;
  const reason = `execution.wall_clock_timeout_hours (${hours} h) had passed when this run was due`;
  for (const run of runs) {
    context.record.runSkipped(run.index, {
      type: "WallClockTimeout",
      message: `${reason}; --resume runs it`,
      log_tail: null,
      log_file: null,
    });
  }
  context.record.warn(null, `stopped: ${reason}; ${runs.length} run(s) skipped, --resume runs them`);
}

/**
 * The plan's run for a manifest entry, checked to be the same run (index, experiment, cycle, config hash)
 * with the directory its own fields name. resolveStudyRequest() refuses a resume whose plan differs, so a
 * mismatch here is a bug: it ends the study before anything is stored under the wrong run.
 */
function plannedRunOf(plan: StudyPlan, entry: ManifestRun): PlannedRun {
  const run = plan.runs.find((r) => r.index === entry.index);
  if (!run || !sameRun(run, entry) || !dirMatchesRun(entry)) {
    throw new Error(
      `manifest run ${entry.index} (experiment ${entry.experiment}, cycle ${entry.cycle}, ${entry.dir}) is ` +
        `not the plan's run ${entry.index}: the resume's plan was not checked against its manifest`,
    );
  }
  return run;
}

async function closeSession(sessions: SessionSlot): Promise<void> {
  const open = sessions.current;
  sessions.current = null;
  if (open) await closeEngineSession(open.session);
}

/** Close the session, stop the sampler and give the GPU locks back, whatever happened. */
async function release(held: Held): Promise<void> {
  await closeSession(held.sessions).catch(() => {});
  await held.stream?.stop().catch(() => {});
  held.locks?.release();
}
