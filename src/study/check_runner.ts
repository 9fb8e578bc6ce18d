import type { ExperimentConfig } from "../config/experiment_config.ts";
import { ENGINES } from "../engines/engine_registry.ts";
import { apptainerImageProblem } from "../runners/apptainer_image.ts";
import type { ConcreteRunner } from "../runners/concrete_runner.ts";
import { containerRemoveArgv } from "../runners/container_argv.ts";
import { leaseLlemOwner } from "../runners/lease_llem_owner.ts";
import { pathExists } from "../runners/path_exists.ts";
import type { RuntimeProbe } from "../runners/probe_runtimes.ts";
import { containerCheckArgv, imageInspectArgv, pythonModuleCheckArgv } from "../runners/readiness_argv.ts";
import { runProgram } from "../runners/run_program.ts";
import type { PreflightProblem } from "./preflight.ts";

/**
 * Whether a runner can start this experiment's sessions: a Python that imports the engine (process), a
 * usable Apptainer and an image it can start here (a .sif, not a registry name), or a usable Docker or
 * Podman with the image present.
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
  const inspected = await runProgram(imageInspectArgv(options.runner, image), { timeoutMs: 30_000 });
  if (inspected.code === 0) return [];
  return [{
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
 * Start a throwaway container with the session's image, GPUs and user: the one proof, before any
 * measurement, that the runtime can hand these GPUs to a container (the NVIDIA Container Toolkit is
 * installed and Docker configured for it) and that the image's Python can run the harness.
 */
export async function checkContainerGpus(
  runtime: "docker" | "podman",
  container: { image: string; uuids: string[]; user: string; tmpDir: string },
): Promise<PreflightProblem | null> {
  const { image, uuids, user } = container;
  // Labelled like a session's container, so a check container an llem killed meanwhile left is reaped.
  const owner = leaseLlemOwner(container.tmpDir);
  const name = `llem-check-${crypto.randomUUID().slice(0, 12)}`;
  let result;
  try {
    result = await runProgram(
      containerCheckArgv(runtime, { image, gpuUuids: uuids, user, name, owner }),
      { timeoutMs: 120_000 },
    );
    // Killing the client of a container that hangs does not stop the container.
    if (result.timedOut) await runProgram(containerRemoveArgv(runtime, name), { timeoutMs: 30_000 });
  } finally {
    owner.release();
  }
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
  // The runtime reports a refused device request only in its own words.
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
