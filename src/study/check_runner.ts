import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { apptainerImageProblem } from "../runners/apptainer_image.ts";
import type { ConcreteRunner } from "../runners/concrete_runner.ts";
import { type ConfinementOptions, containerRemoveArgv } from "../runners/container_argv.ts";
import { leaseLlemOwner } from "../runners/lease_llem_owner.ts";
import { pathExists } from "../runners/path_exists.ts";
import type { RuntimeProbe } from "../runners/probe_runtimes.ts";
import { containerCheckArgv, imageInspectArgv, pythonModuleCheckArgv } from "../runners/readiness_argv.ts";
import { runProgram } from "../runners/run_program.ts";
import { containerCheckProblem } from "./container_check_problem.ts";
import type { PreflightProblem } from "./preflight.ts";

/**
 * Whether a runner can start this experiment's sessions: a Python that imports the engine (process), a
 * usable Apptainer and an image it can start here (a .sif, not a registry name), or a usable Docker or
 * Podman with the image present, that can enforce the experiment's memory_limit.
 */
export async function checkRunner(
  config: ExperimentConfig,
  options: { runner: ConcreteRunner; probes: RuntimeProbe[]; adapterPath: string | null },
): Promise<PreflightProblem[]> {
  if (options.runner === "process") return await checkPython(config, options.adapterPath);
  const image = config.image ?? ENGINES[config.engine].defaultImage;
  const found = options.probes.find((p) => p.runtime === options.runner);
  if (options.runner === "apptainer") {
    if (!found?.usable) {
      return [{
        check: "runner",
        message: "Apptainer is not available",
        fix: "install apptainer, or choose another runner",
      }];
    }
    const problem = apptainerImageProblem(image, { allowNetwork: config.allow_network, exists: pathExists });
    return problem ? [{ check: "image", ...problem }] : [];
  }
  if (!found?.usable) {
    return [{
      check: "runner",
      message: found?.detail ?? `${options.runner} is not available`,
      fix: `start the ${options.runner} daemon, or choose another runner`,
    }];
  }
  const problems = config.memory_limit && found.limitsIgnored
    ? [{
      check: "runner" as const,
      message:
        `${options.runner} cannot enforce memory_limit ${config.memory_limit} here: ${found.limitsIgnored}`,
      fix:
        "run llem as root (rootful containers), boot with cgroups v2 (systemd.unified_cgroup_hierarchy=1), " +
        "or remove memory_limit",
    }]
    : [];
  const inspected = await runProgram(imageInspectArgv(options.runner, image), { timeoutMs: 30_000 });
  if (inspected.code === 0) return problems;
  return [...problems, {
    check: "image",
    message: `image ${image} is not present in ${options.runner}`,
    fix: `${options.runner} pull ${image} (air-gapped: ${options.runner} load < image.tar), or set image:`,
  }];
}

/** The process runner's Python starts and imports the engine's package (unless a test adapter replaces it). */
async function checkPython(
  config: ExperimentConfig,
  adapterPath: string | null,
): Promise<PreflightProblem[]> {
  const python = config.python ?? "python3";
  const module = adapterPath ? null : ENGINES[config.engine].pythonPackage;
  const result = await runProgram(pythonModuleCheckArgv(python, module), { timeoutMs: 30_000 });
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
      fix: "install it there, point python: at a virtual environment that has it, or use a container runner",
    }];
  }
  return [];
}

/**
 * Start a throwaway container with the session's image, GPUs and confinement: the one proof, before any
 * measurement, that the runtime can hand these GPUs to a container (the NVIDIA Container Toolkit is
 * installed and Docker configured for it, or a CDI spec names them for Podman), that it starts a container
 * as it will start the sessions', and that the image's Python can run the harness.
 */
export async function checkContainerGpus(
  runtime: "docker" | "podman",
  container: ConfinementOptions & { image: string; uuids: string[]; tmpDir: string },
): Promise<PreflightProblem | null> {
  const { image, uuids } = container;
  // Labelled like a session's container, so a check container an llem killed meanwhile left is reaped.
  const owner = leaseLlemOwner(container.tmpDir);
  const name = `llem-check-${crypto.randomUUID().slice(0, 12)}`;
  let result;
  try {
    result = await runProgram(
      containerCheckArgv(runtime, { ...container, gpuUuids: uuids, name, owner }),
      { timeoutMs: 120_000 },
    );
    // Killing the client of a container that hangs does not stop the container.
    if (result.timedOut) await runProgram(containerRemoveArgv(runtime, name), { timeoutMs: 30_000 });
  } finally {
    owner.release();
  }
  return containerCheckProblem(runtime, { image, uuids, result });
}
