import { dirname, join, resolve } from "node:path";
import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { GpuSelectionError, selectGpus } from "../gpu/select_gpus.ts";
import { DiskFull, NotWritable, probeWritable, writeFailure } from "../results/write_error.ts";
import type { RunnerChoice } from "../runners/concrete_runner.ts";
import { containerIds } from "../runners/container_user.ts";
import { unreadableFiles } from "../runners/unreadable_files.ts";
import { freeDiskBytes } from "../runners/free_disk_bytes.ts";
import { pathExists } from "../runners/path_exists.ts";
import { probeRuntimes, type RuntimeProbe } from "../runners/probe_runtimes.ts";
import { resolveAutoRunner } from "../runners/resolve_runner.ts";
import { localModelPath, looksLikeLocalPath } from "../runners/session_launch.ts";
import { checkContainerGpus, checkRunner } from "./check_runner.ts";
import type { StudyRequest } from "./study_request.ts";

/** One thing that stops a study from starting, with how to fix it. */
export interface PreflightProblem {
  check:
    | "nvml"
    | "gpus"
    | "runner"
    | "image"
    | "container_gpus"
    | "model"
    | "disk"
    | "output"
    | "busy_gpu"
    | "dataset";
  message: string;
  fix: string;
}

/** What preflight found: problems stop the study (exit 3); the runner choice per experiment is kept. */
export interface PreflightReport {
  problems: PreflightProblem[];
  /** Facts worth printing (runner choices, free disk). */
  notes: string[];
  runners: Map<number, RunnerChoice>;
}

/** What preflight is given besides the request: NVML (or why it failed), and how many runs remain. */
export interface PreflightInput {
  gpuSystem: GpuSystem | null;
  nvmlFailure: PreflightProblem | null;
  /** Pending runs (all of them for a new study). */
  runs: number;
  /** The container runtimes (probed on first need, unless given). */
  probe?: () => Promise<RuntimeProbe[]>;
}

/** Bytes a study needs at least: a margin plus a few megabytes per run (results and Parquet files). */
export function requiredDiskBytes(runs: number): number {
  return 100 * 2 ** 20 + runs * 5 * 2 ** 20;
}

/** Hugging Face hub cache folder of a model id ("org/name" -> models--org--name). */
export function hubCacheEntry(cacheDir: string, model: string): string {
  return join(cacheDir, `models--${model.replaceAll("/", "--")}`);
}

/** Problems of a study, reported once each however many experiments share them. */
class Problems {
  readonly list: PreflightProblem[] = [];
  readonly #seen = new Set<string>();

  add(problem: PreflightProblem | null): void {
    if (!problem) return;
    const key = `${problem.check}:${problem.message}`;
    if (!this.#seen.has(key)) this.list.push(problem), this.#seen.add(key);
  }
}

/**
 * Everything checked before a study starts, all reported at once: NVML and the selected GPUs, the runner
 * and its image (or Python), the model (a local folder, or the Hugging Face cache when offline), the
 * datasets, the output folder (llem can write it, with room for the study), and other processes on the
 * GPUs.
 */
export async function preflight(request: StudyRequest, input: PreflightInput): Promise<PreflightReport> {
  const problems = new Problems();
  const notes: string[] = [];
  problems.add(input.nvmlFailure);
  const gpusOf = input.gpuSystem ? checkGpus(request, { system: input.gpuSystem, problems }) : new Map();
  const runners = await checkExperiments(request, { gpusOf, problems, notes, probe: input.probe });
  notes.push(...runnerNotes(runners));
  const disk = await checkOutput(request.outputDir, input.runs);
  problems.add(disk.problem);
  if (disk.note) notes.push(disk.note);
  return { problems: problems.list, notes, runners };
}

/** Each experiment's GPUs by UUID, and the GPUs other processes are using. */
function checkGpus(
  request: StudyRequest,
  found: { system: GpuSystem; problems: Problems },
): Map<number, string[]> {
  const infos = found.system.gpus.map((g) => g.info);
  const gpusOf = new Map<number, string[]>();
  for (const experiment of request.plan.experiments) {
    try {
      gpusOf.set(experiment.id, selectGpus(infos, experiment.config.gpus, request.host.gpuEnvironment));
    } catch (error) {
      if (!(error instanceof GpuSelectionError)) throw error;
      found.problems.add({ check: "gpus", message: error.message, fix: error.hint ?? 'run "llem gpus"' });
    }
  }
  const used = new Set([...gpusOf.values()].flat());
  for (const gpu of found.system.gpus.filter((g) => used.has(g.info.uuid))) {
    const busy = gpu.runningProcesses();
    if (busy.length) {
      found.problems.add({
        check: "busy_gpu",
        message: `GPU ${gpu.info.index} (${gpu.info.uuid}) is in use by process(es) ${
          busy.map((p) => p.pid).join(", ")
        }`,
        fix: "energy would include their work: stop them, or choose other GPUs with --gpus",
      });
    }
  }
  return gpusOf;
}

/** Each experiment's runner (auto resolved), its image or Python, its GPUs in a container, model, dataset. */
async function checkExperiments(
  request: StudyRequest,
  found: {
    gpusOf: Map<number, string[]>;
    problems: Problems;
    notes: string[];
    probe?: () => Promise<RuntimeProbe[]>;
  },
): Promise<Map<number, RunnerChoice>> {
  let probes: RuntimeProbe[] | null = null;
  const probe = async () => probes ??= await (found.probe ?? probeRuntimes)();
  const runners = new Map<number, RunnerChoice>();
  const runnerUsable = new Map<string, boolean>();
  const gpusChecked = new Set<string>();
  const modelsChecked = new Set<string>();
  for (const { id, config } of request.plan.experiments) {
    const choice = await chooseRunner(config.runner, probe);
    runners.set(id, choice);
    // Everything checkRunner() reads of the config: Apptainer's image check depends on allow_network too.
    const key = JSON.stringify([
      choice.runner,
      config.image,
      config.engine,
      config.python,
      config.memory_limit,
      config.allow_network,
    ]);
    if (!runnerUsable.has(key)) {
      const problems = await checkRunner(config, {
        runner: choice.runner,
        probes: await probe(),
        adapterPath: request.adapterPath,
      });
      problems.forEach((problem) => found.problems.add(problem));
      runnerUsable.set(key, problems.length === 0);
    }
    const lostLimit = limitsNote(choice.runner, { probes: await probe(), memoryLimit: config.memory_limit });
    if (lostLimit && !found.notes.includes(lostLimit)) found.notes.push(lostLimit);
    const uuids = found.gpusOf.get(id);
    const image = config.image ?? ENGINES[config.engine].defaultImage;
    const gpuKey = JSON.stringify([choice.runner, image, uuids, config.shm_size, config.memory_limit]);
    // Only worth a container when the runtime and the image are fine; else those problems say enough.
    const container = choice.runner === "docker" || choice.runner === "podman";
    if (container && uuids && runnerUsable.get(key) && !gpusChecked.has(gpuKey)) {
      gpusChecked.add(gpuKey);
      found.problems.add(
        await checkContainerGpus(choice.runner as "docker" | "podman", {
          image,
          uuids,
          host: { uid: request.host.uid, gid: request.host.gid },
          shmSize: config.shm_size,
          memoryLimit: config.memory_limit,
          tmpDir: request.locations.tmpDir,
        }),
      );
    }
    for (const problem of checkModel(config, request)) found.problems.add(problem);
    if (container && !modelsChecked.has(config.model)) {
      modelsChecked.add(config.model);
      found.problems.add(checkModelReadable(config, request));
    }
    found.problems.add(checkDataset(config, request.host.cwd));
  }
  return runners;
}

/**
 * What a container runtime that ignores resource limits (rootless on cgroups v1) costs a study whose
 * memory_limit is unset (checkRunner() refuses one that is set): the engine runs without its pids limit.
 */
function limitsNote(
  runner: RunnerChoice["runner"],
  given: { probes: RuntimeProbe[]; memoryLimit: string | null },
): string | null {
  const why = given.probes.find((probe) => probe.runtime === runner)?.limitsIgnored;
  return why && !given.memoryLimit ? `${runner} runs the engine without its pids limit: ${why}` : null;
}

/** The experiment's runner (auto resolved), with the command that runs Apptainer when it is singularity. */
async function chooseRunner(
  runner: ExperimentConfig["runner"],
  probe: () => Promise<RuntimeProbe[]>,
): Promise<RunnerChoice> {
  const choice: RunnerChoice = runner === "auto"
    ? resolveAutoRunner(await probe())
    : { runner, reason: null };
  if (choice.runner !== "apptainer") return choice;
  const program = (await probe()).find((p) => p.runtime === "apptainer")?.program;
  return program ? { ...choice, program } : choice;
}

/** One note per runner auto chose, naming the experiments it chose it for. */
function runnerNotes(runners: Map<number, RunnerChoice>): string[] {
  const choices = new Map<string, number[]>();
  for (const [id, choice] of runners) {
    if (!choice.reason) continue;
    const key = `runner auto chose ${choice.runner} (${choice.reason})`;
    choices.set(key, [...(choices.get(key) ?? []), id]);
  }
  return [...choices].map(([note, ids]) =>
    `${ids.length === 1 ? "experiment" : "experiments"} ${ids.join(", ")}: ${note}`
  );
}

/**
 * The output folder: it exists or can be made, llem can write in it (a read-only file system or missing
 * permission shows here, not when the first result is written), and it has room for the study. It is
 * probed where it is, or else in the nearest folder above it that exists, where llem would make it:
 * preflight creates nothing, so a dry run or a refused study leaves no empty folder behind.
 */
async function checkOutput(
  outputDir: string,
  runs: number,
): Promise<{ problem: PreflightProblem | null; note: string | null }> {
  const fix =
    "choose a folder llem can write with --output (or execution.output_dir), or fix its permissions";
  const noRoom = (message: string) => ({
    problem: {
      check: "disk" as const,
      message,
      fix: "free some space, or choose another folder with --output",
    },
    note: null,
  });
  const notWritable = (reason: string) => ({
    problem: { check: "output" as const, message: `cannot write to ${outputDir}: ${reason}`, fix },
    note: null,
  });
  let existing: { path: string; isDirectory: boolean };
  try {
    existing = nearestExisting(outputDir);
  } catch (error) {
    // A folder on the way that llem may not look into (EACCES).
    const failure = writeFailure(error, outputDir);
    if (failure instanceof NotWritable) return notWritable(failure.reason);
    throw error;
  }
  if (!existing.isDirectory) return notWritable(`${existing.path} is not a folder`);
  const refused: DiskFull | NotWritable | null = probeWritable(existing.path, outputDir);
  if (refused instanceof NotWritable) return notWritable(refused.reason);
  if (refused) return noRoom(`${outputDir} has no space left`);
  const free = await freeDiskBytes(existing.path);
  const needed = requiredDiskBytes(runs);
  if (free === null) return { problem: null, note: null };
  if (free < needed) {
    const message = `${outputDir} has ${(free / 2 ** 20).toFixed(0)} MiB free; the study needs about ${
      (needed / 2 ** 20).toFixed(0)
    } MiB`;
    return noRoom(message);
  }
  return { problem: null, note: `${(free / 2 ** 30).toFixed(1)} GiB free in ${outputDir}` };
}

/** `path`, or the nearest folder above it, that exists; whether it is a folder. */
function nearestExisting(path: string): { path: string; isDirectory: boolean } {
  let candidate = resolve(path);
  for (;;) {
    try {
      return { path: candidate, isDirectory: Deno.statSync(candidate).isDirectory };
    } catch (error) {
      const parent = dirname(candidate);
      // Not there, or under a file (ENOTDIR): look above, where the file will then be found.
      const absent = error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
      if (!absent || parent === candidate) throw error;
      candidate = parent;
    }
  }
}

function checkDataset(config: ExperimentConfig, cwd: string): PreflightProblem | null {
  if (config.dataset.source === "synthetic" || !config.dataset.path) return null;
  if (pathExists(join(cwd, config.dataset.path))) return null;
  return {
    check: "dataset",
    message: `dataset file ${config.dataset.path} does not exist`,
    fix: "set dataset.path to a local JSONL or Parquet file",
  };
}

/**
 * A container runs as the invoking user, or as nobody (65534) when llem runs as root, and without the
 * capabilities that let root read anything: the model it is given (the local folder, else the model's
 * Hugging Face cache entry) must be readable by that user. save_pretrained writes weights as 0600.
 */
function checkModelReadable(config: ExperimentConfig, request: StudyRequest): PreflightProblem | null {
  const cache = request.locations.huggingFaceCache;
  const path = localModelPath(config.model, request.host.cwd, pathExists) ??
    (cache ? hubCacheEntry(cache, config.model) : null);
  if (path === null || !pathExists(path)) return null;
  const ids = containerIds(request.host.uid, request.host.gid);
  const unreadable = unreadableFiles(path, ids);
  if (unreadable.paths.length === 0) return null;
  return {
    check: "model",
    message: `${unreadable.paths.join(", ")}${unreadable.more ? " (and more)" : ""} not readable by ` +
      `the container's user ${ids.uid}${
        request.host.uid === 0 ? " (llem runs as root; containers never do)" : ""
      }`,
    fix:
      `make the model readable: chmod -R a+rX ${path}; or run llem as the files' owner, or use runner: process`,
  };
}

function checkModel(config: ExperimentConfig, request: StudyRequest): PreflightProblem[] {
  if (localModelPath(config.model, request.host.cwd, pathExists)) return [];
  if (looksLikeLocalPath(config.model)) {
    return [{
      check: "model",
      message: `model folder ${config.model} does not exist`,
      fix: "fix model: (a local folder or a Hugging Face id)",
    }];
  }
  if (config.allow_network) return [];
  const cache = request.locations.huggingFaceCache;
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
