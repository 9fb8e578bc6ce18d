/** Where the harness and its inputs live on the host, and what the session may use. */
export interface HarnessLaunch {
  /** Engine id (`engines/<id>/adapter.py`). */
  engine: string;
  /** Host folder holding harness.py and the adapters (mounted read-only into containers). */
  harnessDir: string;
  /** An adapter file outside harnessDir (the test engine); mounted read-only too. */
  adapterPath?: string;
  /** GPUs by UUID. */
  gpuUuids: string[];
  /** Host folders mounted read-only at the same path: a local model, the Hugging Face cache. */
  readOnlyMounts: string[];
  /** A writable folder shared with the harness. */
  exchangeDir: string;
  /** Let the engine reach the network. */
  allowNetwork: boolean;
  /** Labels for the session's container. */
  sessionId: string;
  /** Environment variables that are not secret. */
  env: Record<string, string>;
  /**
   * A 0600 file of secret `KEY=value` lines (HF_TOKEN). It is mounted read-only and read by the harness
   * (`LLEM_SECRETS_FILE`), so a secret is never in argv, and never in the container's configuration
   * either, where `docker inspect` would show it (Docker stores `--env` and `--env-file` values there).
   */
  secretsFile?: string;
}

/** Path of the harness folder inside containers. */
export const CONTAINER_HARNESS_DIR = "/llem/engines";
/** Path of the exchange folder inside containers. */
export const CONTAINER_EXCHANGE_DIR = "/llem/exchange";
/** Path of the secrets file inside containers. */
export const CONTAINER_SECRETS_FILE = "/llem/secrets.env";
/** The label every llem container carries, for the reaper. */
export const LLEM_LABEL = "io.llem.session";

function harnessCommand(
  launch: HarnessLaunch,
  python: string,
  harnessDir: string,
  adapter?: string,
): string[] {
  return [
    python,
    `${harnessDir}/harness.py`,
    "--engine",
    launch.engine,
    ...(adapter ? ["--adapter-path", adapter] : []),
  ];
}

function offlineEnv(launch: HarnessLaunch): Record<string, string> {
  // Without network, make the Hugging Face libraries fail fast instead of retrying downloads.
  return launch.allowNetwork ? launch.env : { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", ...launch.env };
}

function containerEnv(launch: HarnessLaunch): Record<string, string> {
  return {
    ...offlineEnv(launch),
    LLEM_EXCHANGE_DIR: CONTAINER_EXCHANGE_DIR,
    ...(launch.secretsFile ? { LLEM_SECRETS_FILE: CONTAINER_SECRETS_FILE } : {}),
  };
}

/** The `process` runner: the harness under a chosen Python, GPUs chosen by CUDA_VISIBLE_DEVICES. */
export function processArgv(
  launch: HarnessLaunch,
  python = "python3",
): { argv: string[]; env: Record<string, string> } {
  return {
    argv: harnessCommand(launch, python, launch.harnessDir, launch.adapterPath),
    env: {
      ...offlineEnv(launch),
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
      CUDA_VISIBLE_DEVICES: launch.gpuUuids.join(","),
      LLEM_EXCHANGE_DIR: launch.exchangeDir,
      ...(launch.secretsFile ? { LLEM_SECRETS_FILE: launch.secretsFile } : {}),
    },
  };
}

/** The ids a container runs as: the invoking user's, so files it writes are theirs; never root. */
export function containerIds(uid: number, gid: number): { uid: number; gid: number } {
  // llem run as root (sudo, a root shell on a cluster node) must not make the engine root: use nobody.
  return uid === 0 ? { uid: 65534, gid: 65534 } : { uid, gid };
}

/** containerIds() as Docker's and Podman's `--user uid:gid`. */
export function containerUser(uid: number, gid: number): string {
  const ids = containerIds(uid, gid);
  return `${ids.uid}:${ids.gid}`;
}

/** The command that removes a session's container: killing the client does not stop the container. */
export function containerRemoveArgv(runtime: "docker" | "podman", containerName: string): string[] {
  return [runtime, "rm", "--force", containerName];
}

/** Options that differ between Docker and Podman. */
export interface ContainerOptions {
  image: string;
  /** uid:gid the engine runs as (the invoking user's, so files it writes are the user's). */
  user: string;
  /** Shared memory for the engine (PyTorch data loaders, NCCL), e.g. "8g". */
  shmSize: string;
  containerName: string;
  python?: string;
}

function containerArgv(
  runtime: "docker" | "podman",
  launch: HarnessLaunch,
  options: ContainerOptions,
  gpuFlags: string[],
): string[] {
  const adapter = launch.adapterPath ? "/llem/adapter/adapter.py" : undefined;
  const argv = [
    runtime,
    "run",
    "--rm",
    "--interactive",
    // A minimal init as PID 1 forwards signals and reaps zombies; an engine as PID 1 ignores SIGTERM.
    "--init",
    "--name",
    options.containerName,
    "--label",
    `${LLEM_LABEL}=${launch.sessionId}`,
    ...gpuFlags,
    "--network",
    launch.allowNetwork ? "bridge" : "none",
    "--user",
    options.user,
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--shm-size",
    options.shmSize,
    "--volume",
    `${launch.harnessDir}:${CONTAINER_HARNESS_DIR}:ro`,
    ...(launch.adapterPath ? ["--volume", `${launch.adapterPath}:${adapter}:ro`] : []),
    ...launch.readOnlyMounts.flatMap((path) => ["--volume", `${path}:${path}:ro`]),
    "--volume",
    `${launch.exchangeDir}:${CONTAINER_EXCHANGE_DIR}`,
    ...(launch.secretsFile ? ["--volume", `${launch.secretsFile}:${CONTAINER_SECRETS_FILE}:ro`] : []),
    ...Object.entries(containerEnv(launch)).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    "--entrypoint",
    options.python ?? "python3",
    options.image,
    ...harnessCommand(launch, "", CONTAINER_HARNESS_DIR, adapter).slice(1),
  ];
  return argv;
}

/**
 * How each container runtime is given GPUs by UUID. Docker: `--gpus "device=UUID,..."` (the quotes are
 * part of the value: Docker reads it as CSV, and the UUIDs' commas must stay in one field); the NVIDIA
 * Container Toolkit's hook then mounts those GPUs. Podman: CDI device names, and the user's ids kept.
 */
export function containerGpuFlags(runtime: "docker" | "podman", gpuUuids: readonly string[]): string[] {
  if (runtime === "podman") {
    return ["--userns", "keep-id", ...gpuUuids.flatMap((uuid) => ["--device", `nvidia.com/gpu=${uuid}`])];
  }
  return gpuUuids.length ? ["--gpus", `"device=${gpuUuids.join(",")}"`] : [];
}

/** The `docker` runner: GPUs by UUID through the NVIDIA Container Toolkit. */
export function dockerArgv(launch: HarnessLaunch, options: ContainerOptions): string[] {
  return containerArgv("docker", launch, options, containerGpuFlags("docker", launch.gpuUuids));
}

/** The `podman` runner: GPUs by CDI device names (`nvidia.com/gpu=UUID`), the user's ids kept. */
export function podmanArgv(launch: HarnessLaunch, options: ContainerOptions): string[] {
  return containerArgv("podman", launch, options, containerGpuFlags("podman", launch.gpuUuids));
}

/** The script a preflight container runs: its Python must be 3.9+ (the harness's floor). */
export const PYTHON_VERSION_CHECK =
  "import sys; print('python %d.%d' % sys.version_info[:2]); sys.exit(0 if sys.version_info >= (3, 9) else 9)";

/**
 * A throwaway container with the session's image, GPUs and user, running only PYTHON_VERSION_CHECK:
 * preflight's proof that the runtime can hand these GPUs to a container before a study starts.
 */
export function containerCheckArgv(
  runtime: "docker" | "podman",
  image: string,
  gpuUuids: readonly string[],
  user: string,
  python = "python3",
): string[] {
  return [
    runtime,
    "run",
    "--rm",
    ...containerGpuFlags(runtime, gpuUuids),
    "--network",
    "none",
    "--user",
    user,
    "--entrypoint",
    python,
    image,
    "-c",
    PYTHON_VERSION_CHECK,
  ];
}

/** The `apptainer` runner: `exec --nv --containall` from a .sif or image reference, same mounts. */
export function apptainerArgv(launch: HarnessLaunch, image: string, python = "python3"): string[] {
  const adapter = launch.adapterPath ? "/llem/adapter/adapter.py" : undefined;
  const env = {
    ...containerEnv(launch),
    CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    CUDA_VISIBLE_DEVICES: launch.gpuUuids.join(","),
  };
  return [
    "apptainer",
    "exec",
    "--nv",
    "--containall",
    "--cleanenv",
    ...(launch.allowNetwork ? [] : ["--network", "none"]),
    "--bind",
    `${launch.harnessDir}:${CONTAINER_HARNESS_DIR}:ro`,
    ...(launch.adapterPath ? ["--bind", `${launch.adapterPath}:${adapter}:ro`] : []),
    ...launch.readOnlyMounts.flatMap((path) => ["--bind", `${path}:${path}:ro`]),
    "--bind",
    `${launch.exchangeDir}:${CONTAINER_EXCHANGE_DIR}`,
    ...(launch.secretsFile ? ["--bind", `${launch.secretsFile}:${CONTAINER_SECRETS_FILE}:ro`] : []),
    ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    image,
    ...harnessCommand(launch, python, CONTAINER_HARNESS_DIR, adapter),
  ];
}
