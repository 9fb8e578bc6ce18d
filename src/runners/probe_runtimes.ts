import type { ApptainerProgram } from "./apptainer_argv.ts";
import { type CdiGpuDevices, cdiGpuDevices } from "./cdi_gpu_devices.ts";
import { type ProgramResult, runProgram } from "./run_program.ts";

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
  /** Docker: an NVIDIA runtime is configured; Podman: a CDI spec names nvidia.com/gpu devices. */
  nvidiaSupport: boolean | null;
  detail: string;
  /** Podman: the nvidia.com/gpu devices its CDI specs define, which is how it is given GPUs. */
  cdiGpus?: CdiGpuDevices | null;
  /** Why this runtime ignores containers' resource limits here (memory_limit, the pids limit); null if not. */
  limitsIgnored?: string | null;
}

/** Probe Docker, Podman and Apptainer, each bounded by a short timeout. */
export async function probeRuntimes(timeoutMs = 5000): Promise<RuntimeProbe[]> {
  return await Promise.all([
    probeDocker(timeoutMs),
    probePodman(timeoutMs),
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

/** A runtime whose CLI could not be started, or did not answer. */
function unusable(runtime: RuntimeProbe["runtime"], result: ProgramResult, what: string): RuntimeProbe {
  const installed = result.startError === null;
  const why = result.timedOut ? "timed out" : lastLine(result.stderr) || `exit code ${result.code}`;
  return {
    runtime,
    installed,
    usable: false,
    version: null,
    nvidiaSupport: null,
    detail: result.startError ?? `${what}: ${why}`,
  };
}

/**
 * Why rootless containers ignore resource limits here, or null: on cgroups v1 an unprivileged user has no
 * cgroup to put a container in, so Podman (and rootless Docker) drop --memory and --pids-limit, saying at
 * most "Resource limits are not supported and ignored on cgroups V1 rootless systems".
 */
function limitsIgnored(facts: { rootless: boolean; cgroupsV1: boolean }): string | null {
  return facts.rootless && facts.cgroupsV1
    ? "rootless on cgroups v1: containers' memory and pids limits are ignored"
    : null;
}

async function probeDocker(timeoutMs: number): Promise<RuntimeProbe> {
  const result = await runProgram(["docker", "info", "--format", "{{json .}}"], { timeoutMs });
  if (result.startError || result.timedOut || result.code !== 0) {
    return unusable("docker", result, "the Docker daemon does not answer");
  }
  let info: {
    ServerVersion?: string;
    Runtimes?: Record<string, unknown>;
    CgroupVersion?: string;
    SecurityOptions?: string[];
  } = {};
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
    limitsIgnored: limitsIgnored({
      rootless: (info.SecurityOptions ?? []).includes("name=rootless"),
      cgroupsV1: info.CgroupVersion === "1",
    }),
  };
}

/**
 * Podman as the user llem runs as (rootful for root, rootless otherwise), and the GPUs CDI specs give it:
 * Podman resolves `--device nvidia.com/gpu=UUID` from those specs alone.
 */
async function probePodman(timeoutMs: number): Promise<RuntimeProbe> {
  const result = await runProgram(["podman", "info", "--format", "json"], { timeoutMs });
  if (result.startError || result.timedOut || result.code !== 0) {
    return unusable("podman", result, "podman does not work");
  }
  let info: {
    version?: { Version?: string };
    host?: { cgroupVersion?: string; security?: { rootless?: boolean } };
  } = {};
  try {
    info = JSON.parse(result.stdout);
  } catch {
    // Output this version does not give as JSON: usable, details unknown.
  }
  const rootless = info.host?.security?.rootless;
  const cgroups = info.host?.cgroupVersion;
  const cdiGpus = cdiGpuDevices();
  const mode = rootless === undefined ? null : rootless ? "rootless" : "rootful";
  return {
    runtime: "podman",
    installed: true,
    usable: true,
    version: info.version?.Version ?? null,
    nvidiaSupport: cdiGpus.names.length > 0,
    detail: [mode, cgroups ? `cgroups ${cgroups}` : null].filter(Boolean).join(", "),
    cdiGpus,
    limitsIgnored: limitsIgnored({ rootless: rootless === true, cgroupsV1: cgroups === "v1" }),
  };
}

async function probeSimple(runtime: "apptainer" | "singularity", timeoutMs: number): Promise<RuntimeProbe> {
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
