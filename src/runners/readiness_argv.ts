import {
  type ConfinementOptions,
  containerConfinement,
  containerGpuFlags,
  NEVER_PULL,
} from "./container_argv.ts";
import { containerLabels, type ContainerOwner } from "./container_labels.ts";

/** The script a preflight container runs: its Python must be 3.9+ (the harness's floor). */
export const PYTHON_VERSION_CHECK =
  "import sys; print('python %d.%d' % sys.version_info[:2]); sys.exit(0 if sys.version_info >= (3, 9) else 9)";

/**
 * A throwaway container with the session's image, GPUs and confinement (containerConfinement(): its init,
 * user, read-only root and limits included), running only PYTHON_VERSION_CHECK: preflight's proof that the
 * runtime can hand these GPUs to a container, and start it as a session's, before a study starts. Named and
 * labelled like a session's container, so that one left behind (a runtime that hangs, an llem killed
 * meanwhile) is removed by name or reaped.
 */
export function containerCheckArgv(
  runtime: "docker" | "podman",
  options: Omit<ConfinementOptions, "shmSize"> & {
    image: string;
    gpuUuids: readonly string[];
    /** The session's shared memory (default 8g, the config's default). */
    shmSize?: string;
    python?: string;
    /** The container's name and its session label. */
    name?: string;
    owner?: ContainerOwner | null;
  },
): string[] {
  const { image, gpuUuids, python = "python3" } = options;
  return [
    runtime,
    "run",
    "--rm",
    ...NEVER_PULL,
    ...(options.name ? ["--name", options.name, ...containerLabels(options.name, options.owner)] : []),
    ...containerGpuFlags(runtime, gpuUuids),
    "--network",
    "none",
    ...containerConfinement(runtime, { ...options, shmSize: options.shmSize ?? "8g" }),
    "--entrypoint",
    python,
    image,
    "-c",
    PYTHON_VERSION_CHECK,
  ];
}

/**
 * A Python that must import `module` (an engine's package) to run the harness; with no module, only that
 * it starts. Exits 1 when the module cannot be found.
 */
export function pythonModuleCheckArgv(python: string, module: string | null): string[] {
  const code = module
    ? `import sys, importlib.util; sys.exit(importlib.util.find_spec(${JSON.stringify(module)}) is None)`
    : "import sys";
  return [python, "-c", code];
}

/** Whether `image` is present in a container runtime's local store (exit 0 when it is). */
export function imageInspectArgv(runtime: "docker" | "podman", image: string): string[] {
  return [runtime, "image", "inspect", image];
}
