import { isAbsolute, resolve } from "node:path";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { apptainerArgv, type ApptainerProgram } from "./apptainer_argv.ts";
import type { ConcreteRunner } from "./concrete_runner.ts";
import { containerRemoveArgv, dockerArgv, podmanArgv } from "./container_argv.ts";
import type { HarnessLaunch } from "./harness_launch.ts";
import { processArgv } from "./process_argv.ts";

/** Everything needed to start one session's harness. */
export interface SessionLaunch {
  argv: string[];
  env: Record<string, string>;
  /**
   * The names of llem's variables the started program keeps, when not all of them: the apptainer client,
   * whose environment reaches into its container. Null: all of them (secrets never).
   */
  inherit: readonly string[] | null;
  /** Removes the container after a kill (container runners). */
  afterKill: string[] | null;
  /** Image (container runners) or Python (process), for the record. */
  image: string | null;
  python: string | null;
  /** Host folders mounted read-only (the model, the Hugging Face cache). */
  readOnlyMounts: string[];
}

/** Facts about the host that launching needs; passed in so this stays pure. */
export interface LaunchHost {
  uid: number;
  gid: number;
  /** Working directory, for relative model paths. */
  cwd: string;
  /** The Hugging Face cache folder (huggingFaceCacheDir()), mounted when the model is not a local folder. */
  huggingFaceCache: string | null;
  /** Does this path exist (a local model folder, the Hugging Face cache)? */
  exists(path: string): boolean;
}

/** A model given as a local folder (absolute, or relative to the working directory) that exists. */
export function localModelPath(model: string, cwd: string, exists: (path: string) => boolean): string | null {
  const path = resolve(cwd, model);
  return exists(path) ? path : null;
}

/** A model that can only mean a local folder (not a Hugging Face id). */
export function looksLikeLocalPath(model: string): boolean {
  return isAbsolute(model) || model.startsWith("./") || model.startsWith("../");
}

/**
 * How to start the harness for `config` under `runner`: mounts (the local model folder, else the Hugging
 * Face cache, with HF_HUB_CACHE pointing at it inside), the engine's default image unless one is given,
 * and the command that removes a killed session's container.
 */
export function sessionLaunch(
  config: ExperimentConfig,
  runner: ConcreteRunner,
  options: {
    sessionId: string;
    gpuUuids: string[];
    harnessDir: string;
    exchangeDir: string;
    /** Apptainer's --workdir (SessionFiles.workDir). */
    workDir?: string | null;
    /** The command of runner apptainer: apptainer, or singularity where only it is installed. */
    program?: ApptainerProgram;
    secretsFile: string | null;
    /** Replace the engine's adapter (the test engine). */
    adapterPath: string | null;
    host: LaunchHost;
    /** The llem that owns the session (its owner record), for the container's labels. */
    owner?: { dir: string; hostname: string } | null;
  },
): SessionLaunch {
  const { host } = options;
  const localModel = localModelPath(config.model, host.cwd, host.exists);
  const cache = host.huggingFaceCache;
  const readOnlyMounts = localModel ? [localModel] : cache && host.exists(cache) ? [cache] : [];
  // Offline, the engine's own switches too (the Hugging Face ones come with every launch: offlineEnv()).
  const env: Record<string, string> = config.allow_network ? {} : { ...ENGINES[config.engine].offlineEnv };
  if (!localModel && cache && host.exists(cache)) env.HF_HUB_CACHE = cache;
  const launch: HarnessLaunch = {
    engine: config.engine,
    harnessDir: options.harnessDir,
    ...(options.adapterPath ? { adapterPath: options.adapterPath } : {}),
    gpuUuids: options.gpuUuids,
    readOnlyMounts,
    exchangeDir: options.exchangeDir,
    allowNetwork: config.allow_network,
    sessionId: options.sessionId,
    ...(options.owner ? { owner: options.owner } : {}),
    env,
    ...(options.secretsFile ? { secretsFile: options.secretsFile } : {}),
  };
  if (runner === "process") {
    const python = config.python ?? "python3";
    const started = processArgv(launch, python);
    return {
      argv: started.argv,
      env: started.env,
      inherit: null,
      afterKill: null,
      image: null,
      python,
      readOnlyMounts,
    };
  }
  const image = config.image ?? ENGINES[config.engine].defaultImage;
  if (runner === "apptainer") {
    const started = apptainerArgv(launch, {
      image,
      ...(options.workDir ? { workDir: options.workDir } : {}),
      ...(options.program ? { program: options.program } : {}),
    });
    return {
      argv: started.argv,
      env: started.env,
      inherit: started.inherit,
      afterKill: null,
      image,
      python: "python3",
      readOnlyMounts,
    };
  }
  const containerName = `llem-${options.sessionId}`;
  const container = {
    image,
    host: { uid: host.uid, gid: host.gid },
    shmSize: config.shm_size,
    memoryLimit: config.memory_limit,
    containerName,
  };
  return {
    argv: runner === "docker" ? dockerArgv(launch, container) : podmanArgv(launch, container),
    env: {},
    inherit: null,
    afterKill: containerRemoveArgv(runner, containerName),
    image,
    python: "python3",
    readOnlyMounts,
  };
}
