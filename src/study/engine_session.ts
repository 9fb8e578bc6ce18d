import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { idlePower } from "../measure/idle_power.ts";
import type { LoadedMessage, WarmupDoneMessage } from "../results/experiment_measurement.ts";
import type { RunnerChoice } from "../runners/concrete_runner.ts";
import { pathExists } from "../runners/path_exists.ts";
import { openSessionFiles } from "../runners/session_files.ts";
import { sessionLaunch } from "../runners/session_launch.ts";
import { buildWorkload } from "./build_workload.ts";
import { interruptible } from "./interrupted.ts";
import { reportPhase, type StudyContext } from "./study_context.ts";
import type { EngineSession } from "./study_ports.ts";

/** A session with its model loaded and warm: what every run of it shares. */
export interface OpenSession {
  /** The plan's session number: consecutive runs that load the model alike. */
  planSession: number;
  harness: EngineSession;
  /** Remove what the session was given (its exchange folder, its secrets file). */
  release(): void;
  loaded: LoadedMessage;
  warmup: WarmupDoneMessage | null;
  /** Power with the model loaded and nothing running, per GPU UUID; absent when not measured. */
  loadedIdleWatts: ReadonlyMap<string, number | null>;
  /** GPU processes once the model was loaded: the engine's own, not "other processes" in a window. */
  enginePids: ReadonlySet<number>;
  runner: RunnerChoice;
  image: string | null;
  python: string | null;
}

/** The session a run needs: for its config, on its GPUs, logging to `logPath`. */
export interface SessionTarget {
  run: { index: number; session: number };
  config: ExperimentConfig;
  /** The run's GPUs, in its order. */
  gpus: readonly Gpu[];
  runner: RunnerChoice;
  sessionId: string;
  logPath: string;
}

/**
 * Start a session for a run: the harness (through the runner), the model load, loaded-idle power and the
 * warmup. Whatever fails, nothing is left running: the harness is killed and its files removed.
 */
export async function openEngineSession(context: StudyContext, target: SessionTarget): Promise<OpenSession> {
  const { host, secrets } = context.request;
  const given = openSessionFiles(target.config, {
    runner: target.runner.runner,
    host,
    secrets,
    tmpDir: context.request.locations.tmpDir,
  });
  const launch = sessionLaunch(target.config, target.runner.runner, {
    sessionId: target.sessionId,
    gpuUuids: target.gpus.map((gpu) => gpu.info.uuid),
    harnessDir: context.harnessDir,
    exchangeDir: given.exchangeDir,
    workDir: given.workDir,
    ...(target.runner.program ? { program: target.runner.program } : {}),
    secretsFile: given.secretsFile,
    adapterPath: context.request.adapterPath,
    owner: given.owner,
    host: {
      ...context.request.host,
      huggingFaceCache: context.request.locations.huggingFaceCache,
      exists: pathExists,
    },
  });
  reportPhase(context, {
    name: "starting",
    run: target.run.index,
    detail: `${target.runner.runner}${launch.image ? ` ${launch.image}` : ""}`,
  });
  const execution = context.request.plan.execution;
  let harness: EngineSession;
  try {
    harness = await context.ports.startSession({
      argv: launch.argv,
      env: launch.env,
      inherit: launch.inherit,
      afterKill: launch.afterKill,
      logPath: target.logPath,
      limits: {
        helloTimeoutMs: execution.experiment_timeout_seconds * 1000,
        silenceTimeoutMs: execution.silence_timeout_seconds * 1000,
      },
    });
  } catch (error) {
    given.release();
    throw error;
  }
  try {
    return await prepareSession(context, { target, harness, given, launch });
  } catch (error) {
    context.stream.setPhase("idle");
    await killEngineSession({ harness, release: given.release });
    throw error;
  }
}

/** Load the model, measure loaded-idle power, warm up. */
async function prepareSession(
  context: StudyContext,
  parts: {
    target: SessionTarget;
    harness: EngineSession;
    given: { release(): void };
    launch: { image: string | null; python: string | null };
  },
): Promise<OpenSession> {
  const { target, harness } = parts;
  const loaded = await loadModel(context, { target, harness });
  const enginePids = new Set(target.gpus.flatMap((gpu) => gpu.runningProcesses().map((p) => p.pid)));
  const loadedIdleWatts = await measureLoadedIdle(context, { target, harness });
  const warmup = await warmUp(context, { target, harness });
  return {
    planSession: target.run.session,
    harness,
    release: parts.given.release,
    loaded,
    loadedIdleWatts,
    warmup,
    enginePids,
    runner: target.runner,
    image: parts.launch.image,
    python: parts.launch.python,
  };
}

function deadlineMs(context: StudyContext): number {
  return context.request.plan.execution.experiment_timeout_seconds * 1000;
}

async function loadModel(
  context: StudyContext,
  { target, harness }: { target: SessionTarget; harness: EngineSession },
): Promise<LoadedMessage> {
  const config = target.config;
  reportPhase(context, { name: "loading", run: target.run.index, detail: config.model });
  return await interruptible(
    harness.request(
      {
        type: "configure",
        model: config.model,
        engine_options: { ...(config[config.engine] ?? {}) },
        dtype: config.generation.dtype,
        seed: config.generation.decoding.seed,
      },
      "loaded",
      deadlineMs(context),
    ),
    context.ports.signal,
  );
}

/** Power with the model loaded and nothing running, per GPU, when the baseline is enabled. */
async function measureLoadedIdle(
  context: StudyContext,
  { target, harness }: { target: SessionTarget; harness: EngineSession },
): Promise<Map<string, number | null>> {
  const watts = new Map<string, number | null>();
  const baseline = target.config.measurement.baseline;
  if (!baseline.enabled) return watts;
  reportPhase(context, {
    name: "loaded_idle",
    run: target.run.index,
    detail: `${baseline.spot_check_seconds} s`,
  });
  const { stream, ports } = context;
  const uuids = target.gpus.map((gpu) => gpu.info.uuid);
  stream.pump();
  const collection = stream.collect(uuids);
  stream.setPhase("idle");
  // The sampler hands samples over in batches: some taken before the idle began (the model load, at full
  // power) arrive after this point, so the idle is the samples taken between its edges.
  const from = ports.clock.nowSeconds();
  let to = from;
  try {
    const idle = { type: "idle" as const, seconds: baseline.spot_check_seconds };
    await interruptible(harness.request(idle, "idle_done", deadlineMs(context)), ports.signal);
    to = ports.clock.nowSeconds();
    await stream.flush();
  } finally {
    collection.close();
  }
  for (const uuid of uuids) {
    const idle = collection.samples.filter((s) =>
      s.uuid === uuid && s.timeSeconds >= from && s.timeSeconds <= to
    );
    watts.set(uuid, idlePower(idle).powerWatts);
  }
  return watts;
}

/** The session's warmup, driven by the host, when the config asks for one. */
async function warmUp(
  context: StudyContext,
  { target, harness }: { target: SessionTarget; harness: EngineSession },
): Promise<WarmupDoneMessage | null> {
  const config = target.config;
  const warmup = config.measurement.warmup;
  if (!(warmup.n_requests > 0 || warmup.mode === "converged" || warmup.min_seconds > 0)) return null;
  reportPhase(context, {
    name: "warmup",
    run: target.run.index,
    detail: warmup.mode === "fixed" ? `${warmup.n_requests} requests` : `until CV < ${warmup.cv_threshold}`,
  });
  context.stream.setPhase("warmup");
  const count = Math.max(1, Math.min(config.generation.batch_size, config.dataset.n_prompts));
  const done = await interruptible(
    harness.request(
      {
        type: "warmup",
        mode: warmup.mode,
        n_requests: warmup.n_requests,
        max_requests: warmup.max_requests,
        cv_threshold: warmup.cv_threshold,
        window: warmup.window,
        min_seconds: warmup.min_seconds,
        workload: buildWorkload(config, { prompts: null, count }),
      },
      "warmup_done",
      deadlineMs(context),
    ),
    context.ports.signal,
  );
  context.stream.setPhase("idle");
  return done;
}

/** Stop a session gracefully (kill it when it does not leave) and remove its files. */
export async function closeEngineSession(session: Pick<OpenSession, "harness" | "release">): Promise<void> {
  await session.harness.stop().catch(() => session.harness.kill());
  session.release();
}

/**
 * Kill a session now (a failure, an interrupt) and remove its files. A harness that already exited is
 * "killed" too: that is what releases its log file and output streams (and removes its container).
 */
export async function killEngineSession(session: Pick<OpenSession, "harness" | "release">): Promise<void> {
  await session.harness.kill().catch(() => {});
  session.release();
}
