import type { ConcreteRunner } from "./concrete_runner.ts";
import type { RuntimeProbe } from "./probe_runtimes.ts";

/** A runner chosen for `runner: auto`, and why. */
export interface ResolvedRunner {
  runner: ConcreteRunner;
  reason: string;
}

/**
 * `runner: auto`: Docker when its daemon and NVIDIA runtime answer, else Apptainer (what HPC clusters
 * allow), else a local process; the reason names what was missing, so the choice can be printed.
 */
export function resolveAutoRunner(probes: readonly RuntimeProbe[]): ResolvedRunner {
  const docker = probes.find((p) => p.runtime === "docker");
  const apptainer = probes.find((p) => p.runtime === "apptainer");
  if (docker?.usable && docker.nvidiaSupport) {
    return { runner: "docker", reason: "Docker daemon with the NVIDIA runtime" };
  }
  const dockerWhy = !docker?.installed
    ? "Docker is not installed"
    : !docker.usable
    ? "the Docker daemon does not answer"
    : "Docker has no NVIDIA runtime";
  if (apptainer?.usable) return { runner: "apptainer", reason: `${dockerWhy}; Apptainer is available` };
  return {
    runner: "process",
    reason: `${dockerWhy} and Apptainer is not available: running the engine locally`,
  };
}
