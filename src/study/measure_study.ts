import type { CpuEnergySource } from "../cpu/cpu_energy.ts";
import { openPowercap } from "../cpu/open_powercap.ts";
import { describeNvmlFailure } from "../gpu/describe_nvml_failure.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import type { StartSampler } from "../gpu/sampler.ts";
import { openNvmlGpuSystem } from "../gpu/nvml_gpu_system.ts";
import { materializeHarness } from "../runners/materialize_harness.ts";
import { reapLeftovers } from "../runners/reap_leftovers.ts";
import { readHostEnvironment } from "./host_environment.ts";
import { llemPorts } from "./llem_ports.ts";
import { preflight, type PreflightProblem, type PreflightReport } from "./preflight.ts";
import { runStudy, type StudyOutcome } from "./run_study.ts";
import type { StudyEvent } from "./study_events.ts";
import type { StudyRequest } from "./study_request.ts";

/** Who listens to a study and what stops it. */
export interface MeasureStudyOptions {
  onEvent?: (event: StudyEvent) => void;
  signal?: AbortSignal;
  /** Told the preflight report before anything runs; return false to stop there (a dry run). */
  onPreflight?(report: PreflightReport): boolean;
  /**
   * GPUs and a sampler to measure instead of NVML's: `llem demo`'s simulated world, whose request says
   * it is simulated (StudyRequest.simulated).
   */
  world?: { gpuSystem: GpuSystem; startSampler: StartSampler; cpuEnergy: CpuEnergySource };
}

/** How a study attempt ended: stopped by preflight (problems, or a dry run), or run. */
export type MeasureStudyOutcome =
  | { kind: "preflight"; report: PreflightReport }
  | { kind: "ran"; report: PreflightReport; outcome: StudyOutcome };

/**
 * Open NVML, check everything a study needs (all problems at once), then run it with llem's real ports.
 * The one entry point of `llem run` and of the library's runStudyFile().
 */
export async function measureStudy(
  request: StudyRequest,
  options: MeasureStudyOptions = {},
): Promise<MeasureStudyOutcome> {
  const onEvent = options.onEvent ?? (() => {});
  if (options.world && !request.simulated) {
    throw new Error("a simulated world needs a request that says it is simulated (StudyRequest.simulated)");
  }
  // A simulated world starts no container: nothing of a killed llem's to clear away first.
  if (!options.world) await reapBeforeStudy(request.locations.tmpDir, onEvent);
  let gpuSystem: GpuSystem | null = options.world?.gpuSystem ?? null;
  let nvmlFailure: PreflightProblem | null = null;
  try {
    gpuSystem ??= openNvmlGpuSystem(request.nvmlLibraryPath);
  } catch (error) {
    const failure = describeNvmlFailure(error, request.nvmlLibraryPath);
    if (!failure) throw error;
    nvmlFailure = {
      check: "nvml",
      message: failure.message,
      fix: `${failure.fix}; to see what llem does on a machine without a GPU, run: llem demo`,
    };
  }
  try {
    const runs = request.resume
      ? request.resume.manifest.experiments.filter((r) => r.status !== "completed").length
      : request.plan.runs.length;
    const report = await preflight(request, { gpuSystem, nvmlFailure, runs });
    const proceed = options.onPreflight?.(report) ?? true;
    if (report.problems.length || !proceed || !gpuSystem) return { kind: "preflight", report };
    const host = await readHostEnvironment();
    for (const [field, why] of Object.entries(host.unknown ?? {})) {
      // Machines without a cpufreq driver (most VMs) have no governor to read: not worth a warning a study.
      if (field === "cpu_governor") continue;
      onEvent({ type: "warning", run: null, message: `${field} is recorded as unknown: ${why}` });
    }
    const ports = llemPorts(gpuSystem, {
      onEvent,
      signal: options.signal ?? new AbortController().signal,
      cpuEnergy: options.world?.cpuEnergy ?? openPowercap(request.locations.powercapRoot),
      ...(options.world ? { startSampler: options.world.startSampler } : {}),
    });
    try {
      const outcome = await runStudy(
        {
          request,
          runners: report.runners,
          harnessDir: materializeHarness(request.harnessSourceDir, request.locations.cacheDir),
          host,
        },
        ports,
      );
      return { kind: "ran", report, outcome };
    } finally {
      await ports.files.close?.();
    }
  } finally {
    gpuSystem?.close();
  }
}

/**
 * Remove what a killed llem left (reapLeftovers(): its engines' containers hold GPUs, its folders hold
 * secrets) before anything else, and say what was removed; what cannot be looked at is a warning.
 */
async function reapBeforeStudy(tmpDir: string, onEvent: (event: StudyEvent) => void): Promise<void> {
  let reaped: Awaited<ReturnType<typeof reapLeftovers>>;
  try {
    reaped = await reapLeftovers({ tmpDir });
  } catch (error) {
    // Leftovers llem cannot judge or remove (another user's folder, a file it may not delete) are theirs
    // to clean; the study does not depend on them.
    onEvent({
      type: "warning",
      run: null,
      message: `could not look for what a killed llem left: ${(error as Error).message}`,
    });
    return;
  }
  const containers = reaped.containers.flatMap((c) => c.ids).length;
  if (reaped.folders.length === 0 && containers === 0) return;
  onEvent({
    type: "warning",
    run: null,
    message: `removed what a killed llem left: ${containers} container(s), ${reaped.folders.length} ` +
      `folder(s) of session files`,
  });
}
