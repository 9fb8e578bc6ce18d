import type { Shard } from "../config/parse_shard.ts";
import { POWERCAP_ROOT } from "../cpu/open_powercap.ts";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import type { StudyPlan } from "../config/build_plan.ts";
import { type PlanOverrides, planStudy } from "../config/plan_study.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { UsageError } from "../errors/usage_error.ts";
import { type GpuEnvironment, gpuEnvironment } from "../gpu/select_gpus.ts";
import { nvmlLibraryPath } from "../gpu/nvml_gpu_system.ts";
import { findResumableStudy } from "../results/find_resumable_study.ts";
import type { Manifest } from "../results/manifest_schema.ts";
import { readStoredPlan } from "../results/load_study.ts";
import { ManifestUnreadable, readManifest } from "../results/manifest_store.ts";
import { isStudyLocked, StudyBusy } from "../results/study_lock.ts";
import { huggingFaceCacheDir } from "../runners/hugging_face_cache_dir.ts";
import { tmpDirOf } from "../runners/llem_runtime_dir.ts";
import { collectSecrets } from "../runners/secrets_file.ts";
import { baselineCacheDir, llemCacheDir } from "./baseline_cache.ts";
import { gpuLockDir } from "./gpu_lock.ts";
import { gitCommit, LLEM_VERSION } from "./llem_version.ts";
import { readConfigFile } from "./read_config_file.ts";
import { dirMatchesRun, experimentChanges, resumeMismatch } from "./resume_mismatch.ts";

/** A study directory to resume, with its manifest as read (once) and checked against the plan. */
export interface ResumeTarget {
  dir: string;
  manifest: Manifest;
  /** Why --resume without a directory picked this study; null when the directory was named. */
  picked: string | null;
}

/** A shard of a study split over several llem processes, and the study's shared directory. */
export interface ShardTarget {
  shard: Shard;
  dir: string;
}

/** Who runs llem and where: the facts of this process the runner needs. */
export interface StudyHost {
  uid: number;
  gid: number;
  /** Working directory, for relative paths (models, datasets). */
  cwd: string;
  /** CUDA_VISIBLE_DEVICES and Slurm's allocation: which GPUs this process may use. */
  gpuEnvironment: GpuEnvironment;
}

/** Folders shared with other llem processes and studies. */
export interface StudyLocations {
  /** llem's cache ($LLEM_CACHE_DIR, else $XDG_CACHE_HOME/llem, else ~/.cache/llem): the harness copy. */
  cacheDir: string;
  /** Idle baselines per GPU UUID. */
  baselineCacheDir: string;
  /** Per-GPU lock files, shared by every user of the machine. */
  lockDir: string;
  /** The Hugging Face cache, mounted for models that are not local folders. */
  huggingFaceCache: string | null;
  /** $TMPDIR, else /tmp: llem's private folder (engines' exchange folders, secrets files) is made in it. */
  tmpDir: string;
  /** Linux's powercap folder, where the CPU's RAPL counters are ($LLEM_POWERCAP_ROOT, else /sys/class/powercap). */
  powercapRoot: string;
}

/**
 * Everything one `llem run` (or the library's runStudyFile()) asks for, resolved and validated once from
 * options and the environment: nothing below reads the environment again.
 */
export interface StudyRequest {
  plan: StudyPlan;
  /** The study file, absolute (copied into _study-artefacts). */
  configPath: string;
  outputDir: string;
  resume: ResumeTarget | null;
  /**
   * `--shard I/N DIR`: this llem runs shard I of N of the study in DIR, created by the first shard to
   * start, joined by the others and resumed by a requeued one (the same command every time).
   */
  shard: ShardTarget | null;
  /** The harness as shipped: this checkout's engines/, or the copy embedded in a compiled llem. */
  harnessSourceDir: string;
  /** Replace every engine's adapter (LLEM_ADAPTER_OVERRIDE: the test engine). */
  adapterPath: string | null;
  nvmlLibraryPath: string;
  /** Fail at once when another llem holds a GPU, instead of waiting. */
  noWait: boolean;
  host: StudyHost;
  locations: StudyLocations;
  /** Secrets for the engine (HF_TOKEN), passed to it in a 0600 file. */
  secrets: Record<string, string>;
  llem: { version: string; commit: string };
  /**
   * What is simulated, for a study `llem demo` runs (a simulated GPU and the test engine): written into
   * the manifest and every result, so its numbers can never pass for measured ones. Absent otherwise.
   */
  simulated?: string | null;
}

/** What the caller asks: the command line of `llem run`, or the options of runStudyFile(). */
export interface StudyRequestOptions {
  configPath: string;
  cwd: string;
  overrides?: PlanOverrides;
  /** The results folder; else the study's execution.output_dir. */
  outputDir?: string;
  /** `--resume`: a study directory, or the newest unfinished study of this config when `dir` is absent. */
  resume?: { dir?: string };
  /** `--shard I/N` into the study directory `dir` (see StudyRequest.shard). */
  shard?: { shard: Shard; dir: string };
  noWait?: boolean;
  /** --nvml-library; else LLEM_NVML_LIBRARY, else the driver's library. */
  nvmlLibrary?: string;
}

/** The harness as shipped beside llem's sources (in a compiled llem, embedded and read the same way). */
const HARNESS_SOURCE = fileURLToPath(new URL("../../engines/", import.meta.url));

/**
 * Plan the study and resolve everything around it: the output folder, the study to resume (its manifest
 * read and its design hash checked here, once), host facts, shared folders, secrets and versions. Throws
 * ConfigError for a bad study file, UsageError or ManifestUnreadable for a bad resume target (exit 2),
 * NotReadyError when another llem is running the study (exit 3).
 */
export function resolveStudyRequest(
  options: StudyRequestOptions,
  env: Readonly<Record<string, string | undefined>>,
): StudyRequest {
  const plan = planStudy(options.configPath, readConfigFile, options.overrides);
  const outputDir = resolve(options.cwd, options.outputDir ?? plan.execution.output_dir);
  const cacheDir = llemCacheDir(env);
  return {
    plan,
    configPath: resolve(options.cwd, options.configPath),
    outputDir,
    resume: options.resume && !options.shard
      ? resumeTarget(plan, { outputDir, cwd: options.cwd, dir: options.resume.dir })
      : null,
    shard: options.shard
      ? { shard: options.shard.shard, dir: resolve(options.cwd, options.shard.dir) }
      : null,
    harnessSourceDir: HARNESS_SOURCE,
    adapterPath: env.LLEM_ADAPTER_OVERRIDE ?? null,
    nvmlLibraryPath: nvmlLibraryPath(options.nvmlLibrary, env),
    noWait: options.noWait ?? false,
    host: {
      uid: Deno.uid() ?? 0,
      gid: Deno.gid() ?? 0,
      cwd: options.cwd,
      gpuEnvironment: gpuEnvironment(env),
    },
    locations: {
      cacheDir,
      baselineCacheDir: baselineCacheDir(env),
      lockDir: gpuLockDir(env),
      huggingFaceCache: huggingFaceCacheDir(env),
      tmpDir: tmpDirOf(env),
      powercapRoot: env.LLEM_POWERCAP_ROOT || POWERCAP_ROOT,
    },
    secrets: collectSecrets(env),
    llem: { version: LLEM_VERSION, commit: gitCommit(env) },
  };
}

/** The study to resume: the named directory, or the one findResumableStudy() picks; its manifest checked. */
function resumeTarget(
  plan: StudyPlan,
  where: { outputDir: string; cwd: string; dir: string | undefined },
): ResumeTarget {
  const picked = where.dir === undefined ? pickStudy(plan, where.outputDir) : null;
  const dir = picked?.dir ?? resolve(where.cwd, where.dir!);
  const manifest = readManifest(dir);
  if (manifest.shards !== undefined) {
    throw new UsageError(
      `${dir} is split into ${manifest.shards} shards: each is resumed on its own`,
      `resume a shard with: llem run CONFIG ${dir} --shard I/${manifest.shards} (the command its job runs); ` +
        `llem slurm status ${dir} shows which are unfinished`,
    );
  }
  // Refused before preflight and the rest: another llem runs it now (checked again under the lock).
  if (picked === null && isStudyLocked(dir)) throw new StudyBusy(dir, manifest);
  checkStudyMatches(plan, { dir, manifest });
  return { dir, manifest, picked: picked?.why ?? null };
}

/**
 * That the study in `dir` is this plan's, to be finished (a resume) or joined (a shard): not simulated,
 * the same design, the same resolved experiments, order and cycles, its run directories where they
 * belong. UsageError (exit 2) names what differs; ManifestUnreadable a damaged manifest.
 */
export function checkStudyMatches(plan: StudyPlan, study: { dir: string; manifest: Manifest }): void {
  const { dir, manifest } = study;
  if (manifest.simulated) {
    // llem demo never resumes: whatever ran now would be measured beside its simulated runs.
    throw new UsageError(
      `${dir} was simulated by llem demo (${manifest.simulated}): llem run cannot add measured runs to it`,
      "run llem demo again for a new simulated study, or run the study without --resume to measure it",
    );
  }
  // What changed in the experiments' resolved configs, named key by key: the config, or llem's defaults.
  const changed = experimentChanges(readStoredPlan(dir), plan);
  if (manifest.study_design_hash !== plan.study_design_hash) {
    throw new UsageError(
      `the study changed since ${dir} was started: design hash ${manifest.study_design_hash} then, ` +
        `${plan.study_design_hash} now (${describeDesignChange(plan, manifest.experiments)}${
          changed ? `; ${changed}` : ""
        })`,
      "resume with the config it was started with, or run the changed study afresh without --resume " +
        "(a study started by another llem version may differ only in llem's defaults)",
    );
  }
  // Before the order check: other GPUs, image or Python regroup sessions, and so reorder the runs.
  if (changed) {
    throw new UsageError(
      `${dir} cannot be resumed with this plan: ${changed}`,
      "--resume finishes a study on what it was started with: give the same --gpus and --runner (or the " +
        "config's values) as when it was started, or run the changed study afresh without --resume",
    );
  }
  const mismatch = resumeMismatch(plan, manifest.experiments);
  if (mismatch) {
    throw new UsageError(
      `${dir} cannot be resumed with this plan: ${mismatch}`,
      "--resume finishes a study as it was started: give the --order and --cycles it was started with " +
        "(the resume command it printed has them), or none if it had none; to measure more cycles, run the " +
        "study afresh without --resume",
    );
  }
  const misplaced = manifest.experiments.find((run) => !dirMatchesRun(run));
  if (misplaced) {
    throw new ManifestUnreadable(
      `Manifest "${dir}/manifest.json": run ${misplaced.index}'s directory "${misplaced.dir}" is not the ` +
        `one its cycle and config hash (${misplaced.measurement_config_hash}) name`,
      "the manifest was edited or damaged: restore it from a copy, or start the study afresh",
    );
  }
}

/** The study --resume without a directory finishes, and why that one; refuses one another llem runs. */
function pickStudy(plan: StudyPlan, outputDir: string): { dir: string; why: string } {
  const found = findResumableStudy(outputDir, { studyName: plan.study_name });
  if (!found) {
    throw new UsageError(
      `no unfinished study named ${plan.study_name} under ${outputDir}`,
      "run without --resume to start it, or name the directory: llem run CONFIG DIR --resume",
    );
  }
  const { manifest } = found;
  if (found.kind === "live") throw new StudyBusy(found.dir, manifest);
  if (found.kind === "elsewhere") {
    throw new NotReadyError(
      `${found.dir} is marked running by llem pid ${manifest.pid} on ${found.hostname}, another machine`,
      "wait for it to finish; if that llem is gone, resume the study by naming its directory: " +
        "llem run CONFIG DIR --resume",
    );
  }
  const completed = manifest.experiments.filter((run) => run.status === "completed").length;
  const others = found.others === 0
    ? ""
    : `; ${found.others} other unfinished ${
      found.others === 1 ? "study" : "studies"
    } of this name left as they are`;
  return {
    dir: found.dir,
    why: `the ${completed > 0 ? "newest unfinished study with completed runs" : "newest unfinished study"} ` +
      `(${completed} of ${manifest.experiments.length} runs completed${others})`,
  };
}

/** What differs between the plan now and the runs a study directory was started with. */
function describeDesignChange(plan: StudyPlan, runs: { measurement_config_hash: string }[]): string {
  const before = new Set(runs.map((r) => r.measurement_config_hash));
  const now = new Set(plan.experiments.map((e) => e.measurement_config_hash));
  const added = [...now].filter((h) => !before.has(h)).length;
  const removed = [...before].filter((h) => !now.has(h)).length;
  return added || removed
    ? `${added} experiment(s) added or changed, ${removed} removed or changed`
    : "the same experiments in a different order";
}
