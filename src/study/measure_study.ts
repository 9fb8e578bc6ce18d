import type { StudyPlan } from "../config/build_plan.ts";
import { describeNvmlFailure } from "../gpu/describe_nvml_failure.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { openNvmlGpuSystem } from "../gpu/nvml_gpu_system.ts";
import { readManifest } from "../results/manifest_store.ts";
import { materializeHarness } from "../runners/materialize_harness.ts";
import { llemCacheDir } from "./baseline_cache.ts";
import { preflight, type PreflightProblem, type PreflightReport } from "./preflight.ts";
import { runStudy, type RunStudyOptions, type StudyOutcome } from "./run_study.ts";

/** What measureStudy needs beyond the plan: where, with which NVML, and who listens. */
export interface MeasureStudyOptions
  extends Omit<RunStudyOptions, "plan" | "gpuSystem" | "runnerFor" | "onEvent" | "signal" | "harnessDir"> {
  nvmlLibraryPath: string;
  /** The harness as shipped (a checkout's engines/, or embedded in a compiled llem); see materializeHarness. */
  harnessSourceDir: string;
  onEvent?: RunStudyOptions["onEvent"];
  signal?: AbortSignal;
  /** Told the preflight report before anything runs; return false to stop there (a dry run). */
  onPreflight?(report: PreflightReport): boolean;
}

/** How a study attempt ended: stopped by preflight (problems, or a dry run), or run. */
export type MeasureStudyOutcome =
  | { kind: "preflight"; report: PreflightReport }
  | { kind: "ran"; report: PreflightReport; outcome: StudyOutcome };

/**
 * Open NVML, check everything a study needs (all problems at once), then run it. The one entry point of
 * `llem run` and of the library's runStudyFile().
 */
export async function measureStudy(
  plan: StudyPlan,
  options: MeasureStudyOptions,
): Promise<MeasureStudyOutcome> {
  let gpuSystem: GpuSystem | null = null;
  let nvmlFailure: PreflightProblem | null = null;
  try {
    gpuSystem = openNvmlGpuSystem(options.nvmlLibraryPath);
  } catch (error) {
    const failure = describeNvmlFailure(error, options.nvmlLibraryPath);
    if (!failure) throw error;
    nvmlFailure = { check: "nvml", message: failure.message, fix: failure.fix };
  }
  try {
    const pendingRuns = options.resumeDir
      ? readManifest(options.resumeDir).experiments.filter((r) => r.status !== "completed").length
      : plan.runs.length;
    const report = await preflight(plan, {
      gpuSystem,
      nvmlFailure,
      outputDir: options.outputDir,
      env: options.env,
      cwd: options.host.cwd,
      runs: pendingRuns,
      adapterPath: options.adapterPath,
      uid: options.host.uid,
      gid: options.host.gid,
    });
    const proceed = options.onPreflight?.(report) ?? true;
    if (report.problems.length || !proceed || !gpuSystem) return { kind: "preflight", report };
    const byConfig = new Map(plan.experiments.map((e) => [e.config, e.id]));
    const outcome = await runStudy({
      ...options,
      harnessDir: materializeHarness(options.harnessSourceDir, llemCacheDir(options.env)),
      plan,
      gpuSystem,
      runnerFor: (config) => report.runners.get(byConfig.get(config)!)!,
      onEvent: options.onEvent ?? (() => {}),
      signal: options.signal ?? new AbortController().signal,
    });
    return { kind: "ran", report, outcome };
  } finally {
    gpuSystem?.close();
  }
}
