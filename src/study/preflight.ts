import { join } from "node:path";
import type { StudyPlan } from "../config/build_plan.ts";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { gpuEnvironment, GpuSelectionError, selectGpus } from "../gpu/select_gpus.ts";
import { freeDiskBytes } from "../runners/free_disk_bytes.ts";
import { containerCheckArgv, containerUser } from "../runners/harness_argv.ts";
import { probeRuntimes, type RuntimeProbe } from "../runners/probe_runtimes.ts";
import { resolveAutoRunner } from "../runners/resolve_runner.ts";
import { runCommand } from "../runners/run_command.ts";
import {
  type ConcreteRunner,
  huggingFaceCacheDir,
  localModelPath,
  looksLikeLocalPath,
  pathExists,
} from "./session_launch.ts";

/** One thing that stops a study from starting, with how to fix it. */
export interface PreflightProblem {
  check: "nvml" | "gpus" | "runner" | "image" | "container_gpus" | "model" | "disk" | "busy_gpu" | "dataset";
  message: string;
  fix: string;
}

/** What preflight found: problems stop the study (exit 3); the runner choice per experiment is kept. */
export interface PreflightReport {
  problems: PreflightProblem[];
  /** Facts worth printing (runner choices, free disk). */
  notes: string[];
  runners: Map<number, { runner: ConcreteRunner; reason: string | null }>;
}

/** Bytes a study needs at least: a margin plus a few megabytes per run (results and Parquet files). */
export function requiredDiskBytes(runs: number): number {
  return 100 * 2 ** 20 + runs * 5 * 2 ** 20;
}

/** Hugging Face hub cache folder of a model id ("org/name" -> models--org--name). */
export function hubCacheEntry(cacheDir: string, model: string): string {
  return join(cacheDir, `models--${model.replaceAll("/", "--")}`);
}

/**
 * Everything checked before a study starts, all reported at once: NVML and the selected GPUs, the runner
 * and its image (or Python), the model (a local folder, or the Hugging Face cache when offline), the
 * datasets, free disk in the output directory, and other processes on the GPUs.
 */
export async function preflight(
  plan: StudyPlan,
  options: {
    gpuSystem: GpuSystem | null;
    nvmlFailure: PreflightProblem | null;
    outputDir: string;
    env: Record<string, string | undefined>;
    cwd: string;
    /** Pending runs (all of them for a new study). */
    runs: number;
    probe?: () => Promise<RuntimeProbe[]>;
    /** Replace the engine adapter (the test engine): the engine library need not be installed. */
    adapterPath: string | null;
    /** The invoking user's ids: containers run as them (see containerUser). */
    uid: number;
    gid: number;
  },
): Promise<PreflightReport> {
  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  const runners = new Map<number, { runner: ConcreteRunner; reason: string | null }>();
  const once = new Set<string>();
  const add = (problem: PreflightProblem) => {
    const key = `${problem.check}:${problem.message}`;
    if (!once.has(key)) problems.push(problem), once.add(key);
  };

  if (options.nvmlFailure) add(options.nvmlFailure);
  const system = options.gpuSystem;
  const used = new Set<string>();
  const gpusOf = new Map<number, string[]>();
  if (system) {
    const infos = system.gpus.map((g) => g.info);
    for (const experiment of plan.experiments) {
      try {
        const uuids = selectGpus(infos, experiment.config.gpus, gpuEnvironment(options.env));
        gpusOf.set(experiment.id, uuids);
        for (const uuid of uuids) used.add(uuid);
      } catch (error) {
        if (!(error instanceof GpuSelectionError)) throw error;
        add({
          check: "gpus",
          message: error.message,
          fix: error.hint ?? 'run "llem gpus", then set gpus: or --gpus',
        });
      }
    }
    for (const gpu of system.gpus.filter((g) => used.has(g.info.uuid))) {
      const busy = gpu.runningProcesses();
      if (busy.length) {
        add({
          check: "busy_gpu",
          message: `GPU ${gpu.info.index} (${gpu.info.uuid}) is in use by process(es) ${
            busy.map((p) => p.pid).join(", ")
          }`,
          fix: "energy would include their work: stop them, or choose other GPUs with --gpus",
        });
      }
    }
  }

  let probes: RuntimeProbe[] | null = null;
  const probe = async () => probes ??= await (options.probe ?? probeRuntimes)();
  const runnerUsable = new Map<string, boolean>();
  const gpusChecked = new Set<string>();
  for (const experiment of plan.experiments) {
    const config = experiment.config;
    let choice: { runner: ConcreteRunner; reason: string | null };
    if (config.runner === "auto") {
      const resolved = resolveAutoRunner(await probe());
      choice = { runner: resolved.runner, reason: resolved.reason };
    } else choice = { runner: config.runner, reason: null };
    runners.set(experiment.id, choice);
    const key = JSON.stringify([choice.runner, config.image, config.engine, config.python]);
    if (!runnerUsable.has(key)) {
      const found = await checkRunner(config, choice.runner, await probe(), options.adapterPath);
      found.forEach(add);
      runnerUsable.set(key, found.length === 0);
    }
    const uuids = gpusOf.get(experiment.id);
    const image = config.image ?? ENGINES[config.engine].defaultImage;
    const gpuKey = JSON.stringify([choice.runner, image, uuids]);
    // Only worth a container when the runtime and the image are fine; else those problems say enough.
    if (
      (choice.runner === "docker" || choice.runner === "podman") && uuids && runnerUsable.get(key) &&
      !gpusChecked.has(gpuKey)
    ) {
      gpusChecked.add(gpuKey);
      const user = containerUser(options.uid, options.gid);
      const problem = await checkContainerGpus(choice.runner, image, uuids, user);
      if (problem) add(problem);
    }
    for (const problem of checkModel(config, options)) add(problem);
    if (
      config.dataset.source !== "synthetic" && config.dataset.path &&
      !pathExists(join(options.cwd, config.dataset.path))
    ) {
      add({
        check: "dataset",
        message: `dataset file ${config.dataset.path} does not exist`,
        fix: "set dataset.path to a local JSONL or Parquet file",
      });
    }
  }
  const choices = new Map<string, number[]>();
  for (const [id, choice] of runners) {
    if (!choice.reason) continue;
    const key = `runner auto chose ${choice.runner} (${choice.reason})`;
    choices.set(key, [...(choices.get(key) ?? []), id]);
  }
  for (const [note, ids] of choices) {
    notes.push(`${ids.length === 1 ? "experiment" : "experiments"} ${ids.join(", ")}: ${note}`);
  }

  Deno.mkdirSync(options.outputDir, { recursive: true });
  const free = await freeDiskBytes(options.outputDir);
  const needed = requiredDiskBytes(options.runs);
  if (free !== null && free < needed) {
    add({
      check: "disk",
      message: `${options.outputDir} has ${(free / 2 ** 20).toFixed(0)} MiB free; the study needs about ${
        (needed / 2 ** 20).toFixed(0)
      } MiB`,
      fix: "free some space, or choose another folder with --output",
    });
  } else if (free !== null) notes.push(`${(free / 2 ** 30).toFixed(1)} GiB free in ${options.outputDir}`);
  return { problems, notes, runners };
}

async function checkRunner(
  config: ExperimentConfig,
  runner: ConcreteRunner,
  probes: RuntimeProbe[],
  adapterPath: string | null,
): Promise<PreflightProblem[]> {
  if (runner === "process") {
    const python = config.python ?? "python3";
    const module = adapterPath ? null : ENGINES[config.engine].pythonPackage;
    const code = module
      ? `import sys, importlib.util; sys.exit(importlib.util.find_spec(${JSON.stringify(module)}) is None)`
      : "import sys";
    const result = await runCommand([python, "-c", code], { timeoutMs: 30_000 });
    if (result.startError) {
      return [{
        check: "runner",
        message: `cannot start Python "${python}": ${result.startError}`,
        fix: "set python: to a Python 3.9+ with the engine installed",
      }];
    }
    if (result.code !== 0) {
      return [{
        check: "runner",
        message: `Python "${python}" cannot import ${module} (the ${config.engine} engine)`,
        fix:
          `install it there, point python: at a virtual environment that has it, or use a container runner`,
      }];
    }
    return [];
  }
  const image = config.image ?? ENGINES[config.engine].defaultImage;
  if (runner === "apptainer") {
    const found = probes.find((p) => p.runtime === "apptainer");
    if (!found?.usable) {
      return [{
        check: "runner",
        message: "Apptainer is not available",
        fix: "install apptainer, or choose another runner",
      }];
    }
    if (image.endsWith(".sif") && !pathExists(image)) {
      return [{
        check: "image",
        message: `image ${image} does not exist`,
        fix: "build it with apptainer build, or fix image:",
      }];
    }
    return [];
  }
  const found = probes.find((p) => p.runtime === runner);
  if (!found?.usable) {
    return [{
      check: "runner",
      message: found?.detail ?? `${runner} is not available`,
      fix: `start the ${runner} daemon, or choose another runner`,
    }];
  }
  const inspected = await runCommand([runner, "image", "inspect", image], { timeoutMs: 30_000 });
  if (inspected.code !== 0) {
    return [{
      check: "image",
      message: `image ${image} is not present in ${runner}`,
      fix: `${runner} pull ${image} (air-gapped: ${runner} load < image.tar), or set image:`,
    }];
  }
  return [];
}

/**
 * Start a throwaway container with the session's image, GPUs and user: the one proof, before any
 * measurement, that the runtime can hand these GPUs to a container (the NVIDIA Container Toolkit is
 * installed and Docker configured for it) and that the image's Python can run the harness.
 */
async function checkContainerGpus(
  runtime: "docker" | "podman",
  image: string,
  uuids: string[],
  user: string,
): Promise<PreflightProblem | null> {
  const result = await runCommand(containerCheckArgv(runtime, image, uuids, user), { timeoutMs: 120_000 });
  if (!result.startError && !result.timedOut && result.code === 0) return null;
  const said = (result.stderr.trim().split("\n").at(-1) ?? "").replace(/^(docker|Error): /i, "");
  const gpus = uuids.join(", ");
  if (result.code === 9) {
    return {
      check: "image",
      message: `the Python in image ${image} is older than 3.9 (${result.stdout.trim()})`,
      fix: "use an image with Python 3.9 or newer",
    };
  }
  if (/device|capabilit|nvidia|cdi/i.test(said)) {
    return {
      check: "container_gpus",
      message: `${runtime} cannot give a container GPUs ${gpus}: ${said}`,
      fix: runtime === "docker"
        ? "install the NVIDIA Container Toolkit and configure Docker for it " +
          "(nvidia-ctk runtime configure --runtime=docker, then restart dockerd), or use --runner process"
        : "generate a CDI specification (nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml), " +
          "or use --runner process",
    };
  }
  const why = result.startError ??
    (result.timedOut ? "it did not finish within 120 s" : said || `exit code ${result.code}`);
  return {
    check: "container_gpus",
    message: `a test container of image ${image} with GPUs ${gpus} failed: ${why}`,
    fix:
      `check that the image runs python3 (${runtime} run --rm --entrypoint python3 ${image} -V), and the runtime's GPU setup`,
  };
}

function checkModel(
  config: ExperimentConfig,
  options: { env: Record<string, string | undefined>; cwd: string },
): PreflightProblem[] {
  if (localModelPath(config.model, options.cwd, pathExists)) return [];
  if (looksLikeLocalPath(config.model)) {
    return [{
      check: "model",
      message: `model folder ${config.model} does not exist`,
      fix: "fix model: (a local folder or a Hugging Face id)",
    }];
  }
  if (config.allow_network) return [];
  const cache = huggingFaceCacheDir(options.env);
  if (cache && pathExists(hubCacheEntry(cache, config.model))) return [];
  return [{
    check: "model",
    message: `model ${config.model} is not in the Hugging Face cache (${
      cache ?? "no cache folder"
    }) and allow_network is false`,
    fix:
      "download it first (huggingface-cli download), point model: at a local folder, or set allow_network: true",
  }];
}
