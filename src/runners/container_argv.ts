import { containerLabels } from "./container_labels.ts";
import { containerUserFlags } from "./container_user.ts";
import {
  CONTAINER_ADAPTER,
  CONTAINER_HARNESS_DIR,
  containerEnv,
  containerMounts,
  harnessCommand,
  type HarnessLaunch,
} from "./harness_launch.ts";

/**
 * Most tasks (processes and threads) a container may have: a runaway engine cannot exhaust the host's pids.
 * Generous, because threads count: vLLM with 8 workers runs a few thousand (OpenMP, NCCL, tokenizer and
 * compiler pools sized by the CPU count).
 */
export const CONTAINER_PIDS_LIMIT = 32768;

/**
 * The container's only writable places besides the exchange folder and shared memory: a tmpfs at /tmp (the
 * root filesystem is read-only). `exec`, unlike Docker's default for --tmpfs, because compilers (Triton,
 * TorchInductor) build shared libraries in /tmp and load them.
 */
export const CONTAINER_TMPFS = "/tmp:rw,exec,nosuid,nodev,mode=1777";

/** What containerConfinement() needs to know. */
export interface ConfinementOptions {
  /** The ids of the user llem runs as (containerUserFlags()). */
  host: { uid: number; gid: number };
  /** Shared memory for the engine (PyTorch data loaders, NCCL), e.g. "8g". */
  shmSize: string;
  /** The container's memory limit, e.g. "64g"; none when null or absent. */
  memoryLimit?: string | null;
}

/**
 * The confinement every llem container gets, sessions and preflight's check alike (a check that passes
 * where sessions then fail proves nothing): an init as PID 1, the engine's user (containerUserFlags()), no
 * capabilities, no new privileges, shared memory, a read-only root filesystem with a tmpfs /tmp and
 * nothing else writable, a pids limit, and a memory limit (no swap beyond it) when one is set.
 */
export function containerConfinement(runtime: "docker" | "podman", options: ConfinementOptions): string[] {
  const { memoryLimit } = options;
  return [
    // A minimal init as PID 1 forwards signals and reaps zombies; an engine as PID 1 ignores SIGTERM.
    "--init",
    ...containerUserFlags(runtime, options.host),
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--shm-size",
    options.shmSize,
    "--read-only",
    // Podman's --read-only also mounts writable tmpfs at /run, /tmp and /var/tmp unless told not to.
    ...(runtime === "podman" ? ["--read-only-tmpfs=false"] : []),
    "--tmpfs",
    CONTAINER_TMPFS,
    "--pids-limit",
    String(CONTAINER_PIDS_LIMIT),
    ...(memoryLimit ? ["--memory", memoryLimit, "--memory-swap", memoryLimit] : []),
  ];
}

/**
 * `run` starts the image the store has, or fails: Docker and Podman would otherwise pull a missing image
 * from a registry, which is llem reaching the network (preflight has already checked it is there).
 */
export const NEVER_PULL = ["--pull", "never"] as const;

/**
 * The command that removes a container at once: killing a session's client does not stop its container.
 * Docker's `rm --force` kills it; Podman's first sends SIGTERM and waits 10 s, unless told `--time 0`.
 */
export function containerRemoveArgv(runtime: "docker" | "podman", container: string): string[] {
  return [runtime, "rm", "--force", ...(runtime === "podman" ? ["--time", "0"] : []), container];
}

/** A session container's image, name and confinement. */
export interface ContainerOptions extends ConfinementOptions {
  image: string;
  containerName: string;
  python?: string;
}

function containerArgv(
  runtime: "docker" | "podman",
  { launch, options }: { launch: HarnessLaunch; options: ContainerOptions },
): string[] {
  const adapter = launch.adapterPath ? CONTAINER_ADAPTER : undefined;
  const argv = [
    runtime,
    "run",
    "--rm",
    ...NEVER_PULL,
    "--interactive",
    "--name",
    options.containerName,
    ...containerLabels(launch.sessionId, launch.owner),
    ...containerGpuFlags(runtime, launch.gpuUuids),
    "--network",
    launch.allowNetwork ? "bridge" : "none",
    ...containerConfinement(runtime, options),
    ...containerMounts(launch, "--volume"),
    ...Object.entries(containerEnv(launch)).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    "--entrypoint",
    options.python ?? "python3",
    options.image,
    ...harnessCommand(launch, { python: "", harnessDir: CONTAINER_HARNESS_DIR, adapter }).slice(1),
  ];
  return argv;
}

/**
 * How each container runtime is given GPUs by UUID. Docker: `--gpus "device=UUID,..."` (the quotes are
 * part of the value: Docker reads it as CSV, and the UUIDs' commas must stay in one field); the NVIDIA
 * Container Toolkit's hook then mounts those GPUs. Podman: CDI device names (`nvidia-ctk cdi generate`
 * names each GPU by its UUID), resolved by Podman itself, which refuses a name no CDI spec defines.
 */
export function containerGpuFlags(runtime: "docker" | "podman", gpuUuids: readonly string[]): string[] {
  if (runtime === "podman") {
    return gpuUuids.flatMap((uuid) => ["--device", `nvidia.com/gpu=${uuid}`]);
  }
  return gpuUuids.length ? ["--gpus", `"device=${gpuUuids.join(",")}"`] : [];
}

/** The `docker` runner: GPUs by UUID through the NVIDIA Container Toolkit. */
export function dockerArgv(launch: HarnessLaunch, options: ContainerOptions): string[] {
  return containerArgv("docker", { launch, options });
}

/** The `podman` runner: GPUs by CDI device names (`nvidia.com/gpu=UUID`), the user's ids kept rootless. */
export function podmanArgv(launch: HarnessLaunch, options: ContainerOptions): string[] {
  return containerArgv("podman", { launch, options });
}
