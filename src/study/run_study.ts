import { join } from "node:path";
import type { PlannedExperiment, PlannedRun, StudyPlan } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import type { HarnessMessage } from "../engines/harness_protocol.ts";
import type { Gpu, GpuSystem } from "../gpu/gpu.ts";
import { GpuSampler } from "../gpu/gpu_sampler.ts";
import { sharedClockSeconds, type TaggedSample } from "../gpu/sampler_protocol.ts";
import { gpuEnvironment, selectGpus } from "../gpu/select_gpus.ts";
import type { CounterReading } from "../measure/counter_energy.ts";
import { cycleStatistics } from "../measure/cycle_statistics.ts";
import { idlePower } from "../measure/idle_power.ts";
import { windowEnergy } from "../measure/window_energy.ts";
import { buildExperimentResult } from "../results/build_experiment_result.ts";
import type {
  BaselineMethod,
  ExperimentMeasurement,
  GpuMeasurement,
  MeasurementEnvironment,
} from "../results/experiment_measurement.ts";
import type { Manifest, StudyStatus } from "../results/manifest_schema.ts";
import { ManifestStore } from "../results/manifest_store.ts";
import type { ExperimentResult } from "../results/result_schema.ts";
import { writeRequestsParquet } from "../results/requests_parquet.ts";
import {
  EFFECTIVE_CONFIG_FILE,
  FAILED_RUNS_DIR,
  REQUESTS_FILE,
  resolveInside,
  RESULT_FILE,
  STUDY_ARTEFACTS_DIR,
  studyDirName,
  TIMESERIES_FILE,
} from "../results/study_layout.ts";
import { writeTimeseriesParquet } from "../results/timeseries_parquet.ts";
import { writeJsonAtomic } from "../results/write_atomic.ts";
import { containerIds } from "../runners/harness_argv.ts";
import { HarnessSession, SessionError } from "../runners/harness_session.ts";
import { collectSecrets, type SecretsFile, writeSecretsFile } from "../runners/secrets_file.ts";
import { acquireGpuLocks, gpuLockDir, type GpuLocks } from "./gpu_lock.ts";
import { readHostEnvironment } from "./host_environment.ts";
import { buildWorkload, selectPrompts } from "./build_workload.ts";
import { loadPrompts } from "./load_prompts.ts";
import { type BaselineOutcome, resolveBaselines } from "./resolve_baselines.ts";
import { baselineCacheDir } from "./baseline_cache.ts";
import { type ConcreteRunner, pathExists, sessionLaunch } from "./session_launch.ts";
import type { StudyEvent, StudyPhase } from "./study_events.ts";
import { waitForThermalFloor } from "./thermal_floor.ts";

/** Everything `runStudy` needs; the CLI fills it from argv and the environment. */
export interface RunStudyOptions {
  plan: StudyPlan;
  /** The study file, copied into _study-artefacts. */
  configPath: string;
  outputDir: string;
  /** A study directory to resume, or null for a new study. */
  resumeDir: string | null;
  /** The GPUs (NVML, opened by the caller) and the library path the sampler opens again. */
  gpuSystem: GpuSystem;
  /** The runner each experiment uses, `auto` already resolved (with the reason). */
  runnerFor(config: ExperimentConfig): { runner: ConcreteRunner; reason: string | null };
  harnessDir: string;
  /** Replace every engine's adapter (the test engine). */
  adapterPath: string | null;
  env: Record<string, string | undefined>;
  /** Fail at once when another llem holds a GPU, instead of waiting. */
  noWait: boolean;
  signal: AbortSignal;
  onEvent(event: StudyEvent): void;
  llemVersion: string | null;
  llemCommit: string | null;
  host: { uid: number; gid: number; cwd: string };
}

/** What a study run returns to the library API (seed 001's StudyResult, plus the directory). */
export interface StudyOutcome {
  status: StudyStatus;
  studyDir: string;
  manifest: Manifest;
  /** Results completed by this invocation, in execution order. */
  experiments: ExperimentResult[];
  resultFiles: string[];
}

/** The study was interrupted (Ctrl-C, SIGTERM): the session is stopped and the manifest says so. */
class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

/** A problem that ends the whole study, not just one run (a lost GPU, a full disk). */
class StudyFatal extends Error {
  constructor(message: string, readonly errorType: string) {
    super(message);
    this.name = "StudyFatal";
  }
}

interface OpenSession {
  planSession: number;
  harness: HarnessSession;
  secrets: SecretsFile | null;
  logPath: string;
  loaded: Extract<HarnessMessage, { type: "loaded" }>;
  warmup: Extract<HarnessMessage, { type: "warmup_done" }> | null;
  loadedIdleWatts: Map<string, number | null>;
  /** GPU processes once the model was loaded: the engine's own. */
  enginePids: Set<number>;
  runner: ConcreteRunner;
  runnerReason: string | null;
  image: string | null;
  python: string | null;
  engineVersion: string | null;
  exchangeDir: string;
}

const sleep = (seconds: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (seconds <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, seconds * 1000);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Run a plan: sessions shared by consecutive runs that load the model alike, a window per run with the
 * energy counters read at its edges, results and the manifest written as each run ends. Failures of one
 * run are recorded and the study goes on with a fresh session; Ctrl-C leaves an interrupted, resumable
 * study.
 */
export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { plan, gpuSystem, signal } = options;
  const emit = options.onEvent;
  const experiments = new Map<number, PlannedExperiment>(plan.experiments.map((e) => [e.id, e]));
  const planRuns = new Map<number, PlannedRun>(plan.runs.map((r) => [r.index, r]));
  const startedAt = new Date();

  let store: ManifestStore;
  let studyDir: string;
  let alreadyCompleted = 0;
  if (options.resumeDir) {
    studyDir = options.resumeDir;
    store = ManifestStore.load(studyDir);
    if (store.manifest.study_design_hash !== plan.study_design_hash) {
      throw new StudyFatal(
        `the study design changed since ${studyDir} was started (design hash ${store.manifest.study_design_hash}, ` +
          `now ${plan.study_design_hash})`,
        "DesignChanged",
      );
    }
    store.prepareResume();
    removeStaleTemporaryFiles(studyDir);
    alreadyCompleted = store.manifest.experiments.filter((r) => r.status === "completed").length;
  } else {
    studyDir = join(options.outputDir, studyDirName(plan.study_name, startedAt));
    Deno.mkdirSync(studyDir, { recursive: true });
    store = ManifestStore.create(studyDir, {
      studyName: plan.study_name,
      studyDesignHash: plan.study_design_hash,
      configFile: options.configPath,
      llemVersion: options.llemVersion,
      runs: plan.runs,
    });
    writeStudyArtefacts(studyDir, plan, options.configPath);
  }

  // Which GPUs each experiment uses, by UUID.
  const infos = gpuSystem.gpus.map((g) => g.info);
  const uuidsOf = new Map<number, string[]>();
  for (const experiment of plan.experiments) {
    uuidsOf.set(experiment.id, selectGpus(infos, experiment.config.gpus, gpuEnvironment(options.env)));
  }
  const gpuByUuid = new Map<string, Gpu>(gpuSystem.gpus.map((g) => [g.info.uuid, g]));
  const pending = store.manifest.experiments.filter((r) => r.status === "pending").sort((a, b) =>
    a.index - b.index
  );
  const usedUuids = [...new Set(pending.flatMap((r) => uuidsOf.get(r.experiment) ?? []))];
  emit({
    type: "study_started",
    studyDir,
    studyName: plan.study_name,
    totalRuns: plan.runs.length,
    alreadyCompleted,
    resumed: options.resumeDir !== null,
    gpus: usedUuids,
  });

  const results: ExperimentResult[] = [];
  const resultFiles: string[] = [];
  let locks: GpuLocks | null = null;
  let sampler: GpuSampler | null = null;
  let session: OpenSession | null = null;
  let status: StudyStatus = "completed";
  const hostEnvironment = readHostEnvironment();
  const phase = (name: StudyPhase, run: number | null, detail: string) =>
    emit({ type: "phase", phase: name, run, detail });
  const warn = (run: number | null, message: string) => {
    emit({ type: "warning", run, message });
    recordSafely(() => store.addWarning(run === null ? message : `run ${run}: ${message}`));
  };
  /**
   * Update the manifest where a failure is being handled: if even that cannot be written (a full disk),
   * the manifest on disk stays the last complete one, and the study stops.
   */
  const recordSafely = (update: () => void): boolean => {
    try {
      update();
      return true;
    } catch (error) {
      emit({
        type: "warning",
        run: null,
        message: `manifest.json could not be updated: ${(error as Error).message}`,
      });
      return false;
    }
  };

  // Samples drained from the sampler but not yet given to a run.
  let buffered: TaggedSample[] = [];
  const drain = () => {
    if (sampler) buffered.push(...sampler.drain());
    if (sampler?.failure) {
      throw new StudyFatal(`GPU sampling failed: ${sampler.failure.message}`, "GpuLost");
    }
  };

  const stopSession = async () => {
    if (!session) return;
    const closing = session;
    session = null;
    await closing.harness.stop().catch(() => closing.harness.kill());
    closing.secrets?.remove();
    Deno.removeSync(closing.exchangeDir, { recursive: true });
  };

  try {
    if (pending.length === 0) {
      return finish();
    }
    locks = await acquireGpuLocks(usedUuids, {
      dir: gpuLockDir(options.env),
      wait: !options.noWait,
      holder: {
        pid: Deno.pid,
        hostname: hostEnvironment.hostname ?? "",
        study: studyDir,
        since: startedAt.toISOString(),
      },
      onWait: (uuid, holder) =>
        emit({
          type: "lock_wait",
          uuid,
          holder: holder ? `pid ${holder.pid} on ${holder.hostname} (${holder.study})` : "another llem",
        }),
      signal,
    });
    const intervalMs = Math.min(
      ...pending.map((r) => experiments.get(r.experiment)!.config.measurement.sample_interval_ms),
    );
    sampler = await GpuSampler.start({
      libraryPath: gpuSystem.libraryPath,
      uuids: usedUuids,
      intervalMs,
      phase: "idle",
    });

    // Bare-idle baselines, before any engine starts.
    const baselines = new Map<string, BaselineOutcome>();
    const wantsBaseline = pending.some((r) =>
      experiments.get(r.experiment)!.config.measurement.baseline.enabled
    );
    if (wantsBaseline) {
      for (const uuid of usedUuids) {
        const busy = gpuByUuid.get(uuid)!.runningProcesses();
        if (busy.length) {
          warn(
            null,
            `GPU ${uuid} had process(es) ${busy.map((p) => p.pid).join(", ")} during the idle baseline`,
          );
        }
      }
      const first = experiments.get(pending[0]!.experiment)!.config.measurement.baseline;
      const outcomes = await resolveBaselines(
        usedUuids.map((uuid) => ({ uuid, name: gpuByUuid.get(uuid)!.info.name })),
        {
          cacheDir: baselineCacheDir(options.env),
          force: first.strategy === "fresh",
          ttlSeconds: first.cache_ttl_seconds,
          driftFraction: first.drift_threshold,
          durationSeconds: first.duration_seconds,
          spotCheckSeconds: first.spot_check_seconds,
          driverVersion: gpuSystem.driverVersion,
          measure: async (uuids, seconds) => {
            drain();
            buffered = [];
            sampler!.setPhase("baseline");
            await sleep(seconds, signal);
            sampler!.setPhase("idle");
            await sampler!.flush();
            drain();
            const byGpu = new Map(uuids.map((u) => [u, buffered.filter((s) => s.uuid === u)]));
            buffered = [];
            return byGpu;
          },
          onMeasure: (kind, uuids, seconds) =>
            phase(
              "baseline",
              null,
              `${
                kind === "full" ? "measuring" : "spot-checking"
              } idle power of ${uuids.length} GPU(s) for ${seconds} s`,
            ),
        },
      );
      if (signal.aborted) throw new Interrupted();
      // A snapshot of the baselines this attempt used (the cache itself lives outside the study).
      writeJsonAtomic(
        join(studyDir, STUDY_ARTEFACTS_DIR, `baseline_cache_${startedAt.getTime()}.json`),
        outcomes,
      );
      for (const outcome of outcomes) {
        baselines.set(outcome.uuid, outcome);
        for (const warning of outcome.warnings) warn(null, `baseline ${outcome.uuid}: ${warning}`);
      }
    }
    const idleTemperature = (uuids: string[]) => {
      const values = uuids.map((u) => baselines.get(u)?.temperatureCelsius ?? null).filter((t): t is number =>
        t !== null
      );
      return values.length ? Math.max(...values) : null;
    };

    let consecutiveFailures = 0;
    let previousRunInThisProcess = false;
    for (const manifestRun of pending) {
      if (signal.aborted) throw new Interrupted();
      const run = planRuns.get(manifestRun.index)!;
      const experiment = experiments.get(run.experiment)!;
      const config = experiment.config;
      const uuids = uuidsOf.get(experiment.id)!;
      const gpus = uuids.map((u) => gpuByUuid.get(u)!);
      if (session && (session.planSession !== run.session)) await stopSession();
      emit({
        type: "run_started",
        run: run.index,
        totalRuns: plan.runs.length,
        dir: manifestRun.dir,
        cycle: run.cycle,
        model: run.model,
        engine: run.engine,
        session: run.session,
      });
      if (!recordSafely(() => store.markRunning(run.index))) {
        status = "failed";
        break;
      }
      const runDir = resolveInside(studyDir, manifestRun.dir);
      const experimentStart = new Date();
      try {
        if (previousRunInThisProcess && run.gap_before_seconds > 0) {
          phase("gap", run.index, `${run.gap_kind} gap of ${run.gap_before_seconds} s`);
          await sleep(run.gap_before_seconds, signal);
          if (signal.aborted) throw new Interrupted();
        }
        previousRunInThisProcess = true;
        drain();
        buffered = [];
        if (!session) {
          session = await openSession(
            run,
            config,
            uuids,
            studyDir,
            options,
            phase,
            drain,
            () => buffered,
            sampler,
          );
        }
        const open: OpenSession = session;
        const prompts = config.dataset.source === "synthetic" ? null : selectPrompts(
          await loadPrompts(
            config.dataset.source,
            config.dataset.path!,
            config.dataset.prompt_field,
            options.host.cwd,
          ),
          config.dataset,
        );
        const thermalFloor = await waitForThermalFloor(
          config.measurement.thermal_floor,
          idleTemperature(uuids),
          () => {
            const temps = gpus.map((g) => g.sample(sharedClockSeconds()).temperatureCelsius)
              .filter((t): t is number => t !== null);
            return temps.length ? Math.max(...temps) : null;
          },
          { nowSeconds: () => performance.now() / 1000, sleep },
          signal,
        );
        if (thermalFloor) {
          phase("thermal_floor", run.index, `waited ${thermalFloor.waitedSeconds.toFixed(1)} s`);
          if (!thermalFloor.reached) {
            warn(
              run.index,
              `the GPU did not cool to ${
                thermalFloor.targetTemperatureCelsius?.toFixed(0)
              } °C within ${config.measurement.thermal_floor.max_seconds} s`,
            );
          }
        }
        if (signal.aborted) throw new Interrupted();
        const windowId = `${run.index}`;
        const timeoutMs = options.plan.execution.experiment_timeout_seconds * 1000;
        await interruptible(
          open.harness.request(
            { type: "prepare", window_id: windowId, workload: buildWorkload(config, prompts) },
            "ready",
            timeoutMs,
          ),
          signal,
        );
        phase("measuring", run.index, `${config.dataset.n_prompts} requests`);
        // The window: counter reads at the edges, as close to go and done as the host can be.
        sampler!.setPhase("measure");
        const startSeconds = sharedClockSeconds();
        const counterStart = gpus.map((g) => readCounter(g));
        const done = await interruptible(
          open.harness.request({ type: "go", window_id: windowId }, "done", timeoutMs),
          signal,
        );
        const counterEnd = gpus.map((g) => readCounter(g));
        const endSeconds = sharedClockSeconds();
        sampler!.setPhase("idle");
        await sampler!.flush();
        const warnings: string[] = [];
        if (done.finished_unix_s !== undefined) {
          const skewMs = endSeconds * 1000 - done.finished_unix_s * 1000;
          if (skewMs > 50) warnings.push(`the window closed ${skewMs.toFixed(1)} ms after the last token`);
        }
        for (const gpu of gpus) {
          const others = gpu.runningProcesses().filter((p) => !open.enginePids.has(p.pid));
          if (others.length) {
            warnings.push(
              `GPU ${gpu.info.uuid} had other process(es) during the window: ${
                others.map((p) => p.pid).join(", ")
              }`,
            );
          }
        }
        phase("writing", run.index, manifestRun.dir);
        drain();
        const samples = buffered;
        buffered = [];
        const source = config.measurement.energy_source;
        const gpuMeasurements: GpuMeasurement[] = gpus.map((gpu, i) => {
          const own = samples.filter((s) => s.uuid === gpu.info.uuid);
          // Every power sample: the integral clips to the window itself and needs the samples either
          // side of each edge to interpolate there.
          const inWindow = own.filter((s) => s.powerWatts !== null)
            .map((s) => ({ timeSeconds: s.timeSeconds, powerWatts: s.powerWatts! }));
          const useCounter = source !== "power";
          const energy = windowEnergy({
            startSeconds,
            endSeconds,
            counterStart: useCounter ? counterStart[i] : null,
            counterEnd: useCounter ? counterEnd[i] : null,
            powerSamples: inWindow,
          });
          if (source === "counter" && energy.method !== "nvml_energy_counter") {
            energy.warnings.push(
              "energy_source: counter was asked for, but this GPU has no usable energy counter",
            );
          }
          return {
            info: gpu.info,
            energy,
            samples: own,
            idleBaselineWatts: config.measurement.baseline.enabled
              ? baselines.get(gpu.info.uuid)?.powerWatts ?? null
              : null,
            loadedIdleWatts: open.loadedIdleWatts.get(gpu.info.uuid) ?? null,
          };
        });
        const baselineMethod: BaselineMethod | null = !config.measurement.baseline.enabled
          ? null
          : uuids.every((u) => baselines.get(u)?.status === "cached")
          ? "idle_cached"
          : "idle_fresh";
        const environment: MeasurementEnvironment = {
          hostname: hostEnvironment.hostname,
          os: hostEnvironment.os,
          cpuModel: hostEnvironment.cpuModel,
          cpuGovernor: hostEnvironment.cpuGovernor,
          driverVersion: gpuSystem.driverVersion,
          cudaDriverVersion: gpuSystem.cudaDriverVersion,
          nvmlLibrary: gpuSystem.libraryPath,
          runner: open.runner,
          runnerReason: open.runnerReason,
          image: open.image,
          python: open.python,
          harnessVersion: open.harness.hello.harness_version,
          protocolVersion: open.harness.hello.protocol,
          llemVersion: options.llemVersion,
          llemCommit: options.llemCommit,
        };
        const timeseriesFile = config.measurement.timeseries ? TIMESERIES_FILE : null;
        const measurement: ExperimentMeasurement = {
          experimentId: manifestRun.dir,
          measurementConfigHash: run.measurement_config_hash,
          cycle: run.cycle,
          config,
          engineVersion: open.engineVersion,
          window: { startSeconds, endSeconds },
          done,
          loaded: open.loaded,
          warmup: open.warmup,
          gpus: gpuMeasurements,
          baselineMethod,
          thermalFloor,
          warnings,
          timeseriesFile,
          environment,
          startTime: experimentStart,
          endTime: new Date(),
        };
        const result = buildExperimentResult(measurement);
        Deno.mkdirSync(runDir, { recursive: true });
        const kv = {
          experiment_id: manifestRun.dir,
          measurement_config_hash: run.measurement_config_hash,
          study_design_hash: plan.study_design_hash,
          cycle: String(run.cycle),
          llem_version: options.llemVersion ?? "",
        };
        if (timeseriesFile) {
          await writeTimeseriesParquet(join(runDir, TIMESERIES_FILE), samples, {
            experimentStartSeconds: experimentStart.getTime() / 1000,
            gpuIndexByUuid: new Map(gpus.map((g, i) => [g.info.uuid, i])),
            kvMetadata: kv,
          });
        }
        await writeRequestsParquet(join(runDir, REQUESTS_FILE), done.requests, {
          windowStartHarnessSeconds: done.started_s,
          kvMetadata: kv,
        });
        writeJsonAtomic(join(runDir, EFFECTIVE_CONFIG_FILE), config);
        // result.json last: its presence marks the run's files complete.
        writeJsonAtomic(join(runDir, RESULT_FILE), result);
        store.markCompleted(run.index, { totalEnergyJoules: result.total_energy_j });
        results.push(result);
        resultFiles.push(join(runDir, RESULT_FILE));
        consecutiveFailures = 0;
        emit({
          type: "run_completed",
          run: run.index,
          dir: manifestRun.dir,
          energyJ: result.total_energy_j,
          outputTokens: result.total_tokens,
          tokensPerSecond: result.avg_tokens_per_second,
          mjPerToken: result.mj_per_tok_adjusted ?? result.mj_per_tok_total,
          windowSeconds: endSeconds - startSeconds,
          warnings: result.measurement_warnings.length,
        });
      } catch (error) {
        sampler?.setPhase("idle");
        if (error instanceof Interrupted || signal.aborted) {
          await failSession(session);
          session = null;
          recordSafely(() =>
            store.markFailed(run.index, {
              type: "Interrupted",
              message: "the study was interrupted during this run",
              log_tail: null,
              log_file: null,
            })
          );
          throw new Interrupted();
        }
        // A session that failed while opening is already gone; its error names its log.
        const logPath = session?.logPath ?? (error as { llemSessionLog?: string })?.llemSessionLog ?? null;
        const logFile = logPath ? keepLog(studyDir, logPath, manifestRun.dir) : null;
        const described = describeFailure(error);
        if (error instanceof SessionError || described.endsSession) {
          await failSession(session);
          session = null;
        }
        const recorded = recordSafely(() =>
          store.markFailed(run.index, {
            type: described.type,
            message: described.message,
            log_tail: error instanceof SessionError ? error.logTail || null : null,
            log_file: logFile,
          })
        );
        emit({
          type: "run_failed",
          run: run.index,
          dir: manifestRun.dir,
          errorType: described.type,
          message: described.message,
          logFile,
        });
        if (error instanceof StudyFatal || described.fatal || !recorded) {
          status = "failed";
          break;
        }
        consecutiveFailures += 1;
        const limit = plan.execution.max_consecutive_failures;
        if (limit > 0 && consecutiveFailures >= limit) {
          warn(
            null,
            `stopped after ${consecutiveFailures} consecutive failures (max_consecutive_failures: ${limit})`,
          );
          status = "stopped";
          break;
        }
      }
    }
  } catch (error) {
    if (error instanceof Interrupted || signal.aborted) status = "interrupted";
    else if (error instanceof StudyFatal || (error as Error)?.name === "GpuLostError") {
      // Outside a run (the baseline, the locks): the study ends, its manifest says why.
      status = "failed";
      warn(null, `the study stopped: ${(error as Error).message}`);
    } else {
      status = "failed";
      await stopSession().catch(() => {});
      await sampler?.stop().catch(() => {});
      locks?.release();
      recordSafely(() => store.addWarning(`the study failed: ${(error as Error).message}`));
      recordSafely(() => store.markStudy("failed"));
      throw error;
    }
  }
  await stopSession().catch(() => {});
  await sampler?.stop().catch(() => {});
  locks?.release();
  return finish();

  function finish(): StudyOutcome {
    try {
      store.setUncertainty(uncertaintyAcrossCycles(studyDir, store.manifest));
    } catch (error) {
      recordSafely(() =>
        store.addWarning(`cross-cycle statistics were not computed: ${(error as Error).message}`)
      );
    }
    recordSafely(() => store.markStudy(status));
    const manifest = store.manifest;
    emit({
      type: "study_finished",
      status,
      studyDir,
      completed: manifest.summary.completed,
      failed: manifest.summary.failed,
      pending: manifest.summary.pending,
      totalEnergyJ: manifest.summary.total_energy_j,
      wallSeconds: manifest.summary.total_wall_time_s,
    });
    return { status, studyDir, manifest, experiments: results, resultFiles };
  }
}

function readCounter(gpu: Gpu): CounterReading | null {
  const energyJoules = gpu.readEnergyJoules();
  return energyJoules === null ? null : { timeSeconds: sharedClockSeconds(), energyJoules };
}

/** Wait for a session request, or stop at an interrupt (the session is then killed by the caller). */
async function interruptible<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new Interrupted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([request, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    request.catch(() => {});
  }
}

/** Kill a session's harness and remove what it was given (secrets, exchange folder). */
async function failSession(
  session: Pick<OpenSession, "harness" | "secrets" | "exchangeDir"> | null,
): Promise<void> {
  if (!session) return;
  if (session.harness.exitCode === null) await session.harness.kill().catch(() => {});
  session.secrets?.remove();
  try {
    Deno.removeSync(session.exchangeDir, { recursive: true });
  } catch { /* already gone */ }
}

/** Start a session for `run`: the harness, the model load, loaded-idle power and the warmup. */
async function openSession(
  run: PlannedRun,
  config: ExperimentConfig,
  uuids: string[],
  studyDir: string,
  options: RunStudyOptions,
  phase: (name: StudyPhase, run: number | null, detail: string) => void,
  drain: () => void,
  buffered: () => TaggedSample[],
  sampler: GpuSampler | null,
): Promise<OpenSession> {
  const { runner, reason } = options.runnerFor(config);
  const sessionId = `${Deno.pid}-${run.session}-${crypto.randomUUID().slice(0, 8)}`;
  const exchangeDir = Deno.makeTempDirSync({ prefix: "llem-exchange-" });
  const secretsMap = collectSecrets(options.env);
  // Container runners may run the engine as other ids than llem's (nobody, when llem is root): give it
  // its exchange folder and secrets file.
  const engineIds = containerIds(options.host.uid, options.host.gid);
  const owner = (runner === "docker" || runner === "podman") && engineIds.uid !== options.host.uid
    ? engineIds
    : null;
  if (owner) Deno.chownSync(exchangeDir, owner.uid, owner.gid);
  const secrets = Object.keys(secretsMap).length ? writeSecretsFile(secretsMap, owner) : null;
  const launch = sessionLaunch(config, runner, {
    sessionId,
    gpuUuids: uuids,
    harnessDir: options.harnessDir,
    exchangeDir,
    secretsFile: secrets?.path ?? null,
    adapterPath: options.adapterPath,
    host: {
      ...options.host,
      env: options.env,
      exists: pathExists,
    },
  });
  const logDir = join(studyDir, STUDY_ARTEFACTS_DIR, "sessions");
  Deno.mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `session-${String(run.session).padStart(3, "0")}-${sessionId}.log`);
  phase("starting", run.index, `${runner}${launch.image ? ` ${launch.image}` : ""}`);
  const execution = options.plan.execution;
  const timeoutMs = execution.experiment_timeout_seconds * 1000;
  let harness: HarnessSession;
  try {
    harness = await HarnessSession.start(launch.argv, {
      limits: { helloTimeoutMs: timeoutMs, silenceTimeoutMs: execution.silence_timeout_seconds * 1000 },
      logPath,
      spawn: { env: launch.env },
      ...(launch.afterKill ? { afterKill: launch.afterKill } : {}),
    });
  } catch (error) {
    secrets?.remove();
    Deno.removeSync(exchangeDir, { recursive: true });
    throw error;
  }
  const started = { harness, secrets, exchangeDir };
  try {
    phase("loading", run.index, config.model);
    const loaded = await interruptible(
      harness.request(
        {
          type: "configure",
          model: config.model,
          engine_options: ENGINES[config.engine].engineOptions(config),
          dtype: config.generation.dtype,
          seed: config.generation.decoding.seed,
        },
        "loaded",
        timeoutMs,
      ),
      options.signal,
    );
    const open: OpenSession = {
      ...started,
      planSession: run.session,
      logPath,
      loaded,
      warmup: null,
      loadedIdleWatts: new Map(),
      enginePids: new Set(),
      runner,
      runnerReason: reason,
      image: launch.image,
      python: launch.python,
      engineVersion: harness.hello.engine_version,
    };
    for (const gpu of options.gpuSystem.gpus.filter((g) => uuids.includes(g.info.uuid))) {
      for (const process of gpu.runningProcesses()) open.enginePids.add(process.pid);
    }
    const baseline = config.measurement.baseline;
    if (baseline.enabled && sampler) {
      phase("loaded_idle", run.index, `${baseline.spot_check_seconds} s`);
      drain();
      const from = sharedClockSeconds();
      sampler.setPhase("idle");
      await interruptible(
        harness.request({ type: "idle", seconds: baseline.spot_check_seconds }, "idle_done", timeoutMs),
        options.signal,
      );
      await sampler.flush();
      drain();
      const to = sharedClockSeconds();
      for (const uuid of uuids) {
        const idle = idlePower(
          buffered().filter((s) => s.uuid === uuid && s.timeSeconds >= from && s.timeSeconds <= to),
        );
        open.loadedIdleWatts.set(uuid, idle.powerWatts);
      }
    }
    const warmup = config.measurement.warmup;
    if (warmup.n_requests > 0 || warmup.mode === "converged" || warmup.min_seconds > 0) {
      phase(
        "warmup",
        run.index,
        warmup.mode === "fixed" ? `${warmup.n_requests} requests` : `until CV < ${warmup.cv_threshold}`,
      );
      sampler?.setPhase("warmup");
      open.warmup = await interruptible(
        harness.request(
          {
            type: "warmup",
            mode: warmup.mode,
            n_requests: warmup.n_requests,
            max_requests: warmup.max_requests,
            cv_threshold: warmup.cv_threshold,
            window: warmup.window,
            min_seconds: warmup.min_seconds,
            workload: buildWorkload(
              config,
              null,
              Math.max(1, Math.min(config.generation.batch_size, config.dataset.n_prompts)),
            ),
          },
          "warmup_done",
          timeoutMs,
        ),
        options.signal,
      );
      sampler?.setPhase("idle");
    }
    return open;
  } catch (error) {
    sampler?.setPhase("idle");
    // The caller records the failure with this session's log.
    (error as { llemSessionLog?: string }).llemSessionLog = logPath;
    await failSession(started);
    throw error;
  }
}

/** Copy a failed session's log to failed-runs/<run dir>.log; returns its path relative to the study. */
function keepLog(studyDir: string, logPath: string, runDir: string): string | null {
  try {
    Deno.mkdirSync(join(studyDir, FAILED_RUNS_DIR), { recursive: true });
    const relative = `${FAILED_RUNS_DIR}/${runDir}.log`;
    Deno.copyFileSync(logPath, join(studyDir, relative));
    return relative;
  } catch {
    return null;
  }
}

function describeFailure(
  error: unknown,
): { type: string; message: string; endsSession: boolean; fatal: boolean } {
  if (error instanceof SessionError) {
    const type = error.kind === "exited"
      ? (error.exitCode === 137 ? "EngineKilled" : "EngineExited")
      : error.kind === "timeout"
      ? "Timeout"
      : error.kind === "silent"
      ? "Silence"
      : error.kind === "protocol"
      ? "ProtocolError"
      : error.harnessError?.error_type ?? "HarnessError";
    return { type, message: error.message, endsSession: true, fatal: false };
  }
  if (error instanceof StudyFatal) {
    return { type: error.errorType, message: error.message, endsSession: true, fatal: true };
  }
  const e = error as Error & { code?: string };
  if (e?.name === "GpuLostError") {
    return { type: "GpuLost", message: e.message, endsSession: true, fatal: true };
  }
  if (/No space left|ENOSPC|os error 28/.test(e?.message ?? "")) {
    return { type: "DiskFull", message: e.message, endsSession: true, fatal: true };
  }
  return { type: e?.name ?? "Error", message: e?.message ?? String(error), endsSession: true, fatal: false };
}

/** Headline metrics whose spread across cycles the manifest reports. */
const UNCERTAINTY_METRICS = [
  "total_energy_j",
  "energy_adjusted_j",
  "avg_tokens_per_second",
  "mj_per_tok_total",
  "mj_per_tok_adjusted",
  "total_inference_time_sec",
] as const;

/** Mean, standard deviation and 95% CI of each headline metric across the completed cycles of each config. */
function uncertaintyAcrossCycles(studyDir: string, manifest: Manifest): Manifest["uncertainty"] {
  const byHash = new Map<string, Record<string, unknown>[]>();
  for (const run of manifest.experiments.filter((r) => r.status === "completed")) {
    const result = JSON.parse(Deno.readTextFileSync(join(resolveInside(studyDir, run.dir), RESULT_FILE)));
    byHash.set(run.measurement_config_hash, [...(byHash.get(run.measurement_config_hash) ?? []), result]);
  }
  const uncertainty: Manifest["uncertainty"] = {};
  for (const [hash, records] of byHash) {
    uncertainty[hash] = Object.fromEntries(UNCERTAINTY_METRICS.map((metric) => {
      const stats = cycleStatistics(
        records.map((r) => (typeof r[metric] === "number" ? r[metric] as number : null)),
      );
      return [metric, {
        n: stats.n,
        mean: stats.mean,
        std: stats.std,
        ci95_low: stats.ci95Low,
        ci95_high: stats.ci95High,
      }];
    }));
  }
  return uncertainty;
}

/** Temporary files of atomic writes cut short by a kill -9 (`.<name>.<pid>.<random>.tmp`), at any depth. */
function removeStaleTemporaryFiles(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) removeStaleTemporaryFiles(path);
    else if (entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(".tmp")) Deno.removeSync(path);
  }
}

/** _study-artefacts: the study file, equivalence groups and skipped points, for the record. */
function writeStudyArtefacts(studyDir: string, plan: StudyPlan, configPath: string): void {
  const dir = join(studyDir, STUDY_ARTEFACTS_DIR);
  Deno.mkdirSync(dir, { recursive: true });
  try {
    Deno.copyFileSync(configPath, join(dir, `study${configPath.endsWith(".json") ? ".json" : ".yaml"}`));
  } catch { /* the plan is recorded below either way */ }
  writeJsonAtomic(
    join(dir, "equivalence_groups.json"),
    plan.experiments.map((e) => ({
      experiment: e.id,
      measurement_config_hash: e.measurement_config_hash,
      members: e.members,
    })),
  );
  writeJsonAtomic(join(dir, "skipped_points.json"), plan.skipped);
  writeJsonAtomic(join(dir, "plan.json"), plan);
}
