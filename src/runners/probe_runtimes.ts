import type { ApptainerProgram } from "./apptainer_argv.ts";
import { runProgram } from "./run_program.ts";

/** What llem found out about one container runtime. */
export interface RuntimeProbe {
  runtime: "docker" | "podman" | "apptainer";
  /**
   * The command that answered, when it is not the runtime's name: `singularity` (SingularityCE, or an old
   * Singularity) where no `apptainer` is installed. Its options are Apptainer's.
   */
  program?: ApptainerProgram;
  /** The CLI is installed. */
  installed: boolean;
  /** The daemon (Docker) answers, or the CLI works (Podman, Apptainer). */
  usable: boolean;
  version: string | null;
  /** Docker only: an NVIDIA runtime or CDI devices are configured. */
  nvidiaSupport: boolean | null;
  detail: string;
}

/** Probe Docker, Podman and Apptainer, each bounded by a short timeout. */
export async function probeRuntimes(timeoutMs = 5000): Promise<RuntimeProbe[]> {
  return await Promise.all([
    probeDocker(timeoutMs),
    probeSimple("podman", timeoutMs),
    probeApptainer(timeoutMs),
  ]);
}

/** Apptainer, else Singularity under its own name (clusters that have not moved to Apptainer). */
async function probeApptainer(timeoutMs: number): Promise<RuntimeProbe> {
  const apptainer = await probeSimple("apptainer", timeoutMs);
  if (apptainer.installed) return apptainer;
  const singularity = await probeSimple("singularity", timeoutMs);
  return singularity.installed ? { ...singularity, runtime: "apptainer", program: "singularity" } : apptainer;
}

async function probeDocker(timeoutMs: number): Promise<RuntimeProbe> {
  const result = await runProgram(["docker", "info", "--format", "{{json .}}"], { timeoutMs });
  if (result.startError) {
    return {
      runtime: "docker",
      installed: false,
      usable: false,
      version: null,
      nvidiaSupport: null,
      detail: result.startError,
    };
  }
  if (result.timedOut || result.code !== 0) {
    const why = result.timedOut ? "timed out" : lastLine(result.stderr) || `exit code ${result.code}`;
    return {
      runtime: "docker",
      installed: true,
      usable: false,
      version: null,
      nvidiaSupport: null,
      detail: `the Docker daemon does not answer: ${why}`,
    };
  }
  let info: { ServerVersion?: string; Runtimes?: Record<string, unknown>; CDISpecDirs?: string[] } = {};
  try {
    info = JSON.parse(result.stdout);
  } catch {
    // An old docker without JSON output: usable, support unknown.
  }
  const nvidia = Object.keys(info.Runtimes ?? {}).some((name) => name.includes("nvidia"));
  return {
    runtime: "docker",
    installed: true,
    usable: true,
    version: info.ServerVersion ?? null,
    nvidiaSupport: nvidia,
    detail: nvidia
      ? "daemon reachable, NVIDIA runtime configured"
      : "daemon reachable, no NVIDIA runtime configured",
  };
}

async function probeSimple(
  runtime: "podman" | "apptainer" | "singularity",
  timeoutMs: number,
): Promise<RuntimeProbe> {
  const result = await runProgram([runtime, "--version"], { timeoutMs });
  const installed = result.startError === null;
  const usable = installed && !result.timedOut && result.code === 0;
  return {
    runtime: runtime === "singularity" ? "apptainer" : runtime,
    installed,
    usable,
    version: usable ? lastLine(result.stdout).replace(/^.*version\s*/i, "") : null,
    nvidiaSupport: null,
    detail: result.startError ?? (usable ? lastLine(result.stdout) : lastLine(result.stderr)),
  };
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}
