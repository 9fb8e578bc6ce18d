import { openPowercap, POWERCAP_ROOT } from "../cpu/open_powercap.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import type { StudyPlan } from "../config/build_plan.ts";
import { planStudy } from "../config/plan_study.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { type ApptainerImageProblem, apptainerImageProblem } from "../runners/apptainer_image.ts";
import { freeDiskBytes } from "../runners/free_disk_bytes.ts";
import { pathExists } from "../runners/path_exists.ts";
import { probeRuntimes, type RuntimeProbe } from "../runners/probe_runtimes.ts";
import { NotWritable, probeWritable } from "../results/write_error.ts";
import { resolveAutoRunner } from "../runners/resolve_runner.ts";
import { processPaths, runningFrom } from "../runners/running_from.ts";
import { llemCacheDir } from "../study/baseline_cache.ts";
import { readConfigFile } from "../study/read_config_file.ts";
import type { Command } from "./command.ts";
import { doctorChecks, type DoctorFacts } from "./doctor_checks.ts";
import { formatTable } from "./format_table.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { NVML_LIBRARY_OPTION, openGpus } from "./open_gpus.ts";
import { EXIT } from "./exit_code.ts";

/** `llem doctor`: is this machine ready to measure? */
export const doctorCommand: Command = {
  name: "doctor",
  usage: "[CONFIG] [--json] [--output-dir DIR] [--nvml-library PATH]",
  description: "Check everything a measurement needs: NVML and the driver, each GPU's energy counter, " +
    "power field, persistence mode, MIG and other processes; the container runtimes (Docker daemon and its " +
    "NVIDIA runtime; Podman, rootful or rootless, and the GPUs its CDI specs name; Apptainer or Singularity; " +
    "resource limits a runtime would ignore); free disk space for results; where llem runs from " +
    "(a checkout, the single binary, or a binary Deno unpacked, and where); whether llem's cache can be " +
    "written. Where Apptainer is, it says how to make a .sif from a Docker image offline; with a CONFIG " +
    "whose experiments run under Apptainer, it checks that Apptainer is there and each image is one it can " +
    "start offline. Each check is ok, warn or fail with a one-line fix. Exits 0 when nothing fails, 3 when " +
    "the machine is not ready.",
  positionals: ["CONFIG?"],
  options: [
    { name: "json", type: "boolean", description: "print the checks as one JSON document" },
    {
      name: "output-dir",
      type: "string",
      value: "DIR",
      description: "where results will go (default: results)",
    },
    NVML_LIBRARY_OPTION,
  ],
  examples: [
    ["llem doctor", "check this machine"],
    ["llem doctor study.yaml", "and what the study needs from it (Apptainer and its images)"],
    ["llem doctor --json | jq '.checks[] | select(.status != \"ok\")'", "only the problems"],
  ],
  async run(args, io) {
    // A bad config is bad input (exit 2), said before anything is probed.
    const plan = args.positionals[0] === undefined ? null : planStudy(args.positionals[0], readConfigFile);
    const outputDir = (args.values["output-dir"] as string | undefined) ?? "results";
    const facts: DoctorFacts = {
      nvml: { ok: false, libraryPath: "", message: "", fix: "" },
      gpus: [],
      runtimes: [],
      outputDir,
      freeDiskBytes: null,
      cpuEnergy: cpuEnergyFacts(io.env),
      runningFrom: runningFrom(processPaths()),
      cache: await cacheFacts(llemCacheDir(io.env)),
    };
    let system: GpuSystem | null = null;
    try {
      system = openGpus(args.values["nvml-library"] as string | undefined, io.env);
      facts.nvml = {
        ok: true,
        libraryPath: system.libraryPath,
        driverVersion: system.driverVersion,
        cudaDriverVersion: system.cudaDriverVersion,
      };
      facts.gpus = system.gpus.map((gpu) => {
        let processes = null;
        try {
          processes = gpu.runningProcesses();
        } catch { /* reported as "cannot list processes" */ }
        return { info: gpu.info, processes };
      });
    } catch (error) {
      if (!(error instanceof NotReadyError)) throw error;
      facts.nvml = { ok: false, libraryPath: "", message: error.message, fix: error.hint ?? "" };
    } finally {
      system?.close();
    }
    const existing = await nearestExistingFolder(outputDir);
    [facts.runtimes, facts.freeDiskBytes] = await Promise.all([probeRuntimes(), freeDiskBytes(existing)]);
    if (plan) facts.apptainerImages = apptainerImagesOf(plan, facts.runtimes);
    const checks = doctorChecks(facts);
    const failed = checks.some((c) => c.status === "fail");
    if (args.values.json) {
      io.out(JSON.stringify({ ready: !failed, checks }, null, 2) + "\n");
    } else {
      const rows = checks.map((c) => [c.status, c.name, c.detail]);
      const lines = formatTable(["status", "check", "detail"], rows, "");
      io.out(lines[0] + "\n");
      checks.forEach((check, i) => {
        io.out(lines[i + 1] + "\n");
        if (check.fix) io.out(`${" ".repeat(lines[0]!.indexOf("detail"))}fix: ${check.fix}\n`);
      });
      const warnings = checks.filter((c) => c.status === "warn").length;
      io.out(
        failed
          ? "not ready: fix the failed checks above\n"
          : `ready${warnings ? ` (${warnings} warning(s))` : ""}\n`,
      );
    }
    return failed ? EXIT.notReady : EXIT.ok;
  },
};

/**
 * The images of a study's experiments that run under Apptainer (named, or what auto picks on this
 * machine), each with what stops Apptainer from starting it offline; null when none does.
 */
function apptainerImagesOf(
  plan: StudyPlan,
  probes: RuntimeProbe[],
): { image: string; problem: ApptainerImageProblem | null }[] | null {
  const auto = resolveAutoRunner(probes).runner;
  const images = new Map<string, ApptainerImageProblem | null>();
  for (const { config } of plan.experiments) {
    if (config.runner !== "apptainer" && !(config.runner === "auto" && auto === "apptainer")) continue;
    const image = config.image ?? ENGINES[config.engine].defaultImage;
    const problem = apptainerImageProblem(image, { allowNetwork: config.allow_network, exists: pathExists });
    // An image fine for one experiment and not another (allow_network) is reported with its problem.
    if (!images.has(image) || problem) images.set(image, problem);
  }
  return images.size ? [...images].map(([image, problem]) => ({ image, problem })) : null;
}

async function nearestExistingFolder(path: string): Promise<string> {
  let current = path;
  for (let i = 0; i < 64; i++) {
    try {
      if ((await Deno.stat(current)).isDirectory) return current;
    } catch { /* not there yet */ }
    const parent = current.includes("/") ? current.slice(0, current.lastIndexOf("/")) || "/" : ".";
    if (parent === current) break;
    current = parent;
  }
  return ".";
}

/** llem's cache, and why it cannot be written (probed in it, or in the folder it would be made in). */
async function cacheFacts(dir: string): Promise<DoctorFacts["cache"]> {
  const refused = probeWritable(await nearestExistingFolder(dir), dir);
  if (refused === null) return { dir, refused: null };
  return {
    dir,
    refused: refused instanceof NotWritable ? refused.reason : "no space left on its file system",
  };
}

/** The RAPL zones llem would read ($LLEM_POWERCAP_ROOT, else /sys/class/powercap), or why none. */
function cpuEnergyFacts(env: Readonly<Record<string, string | undefined>>): DoctorFacts["cpuEnergy"] {
  const source = openPowercap(env.LLEM_POWERCAP_ROOT || POWERCAP_ROOT);
  return source.unavailableReason === null
    ? { domains: source.domains.map((d) => `${d.name} (${d.id})`) }
    : { unavailable: source.unavailableReason };
}
