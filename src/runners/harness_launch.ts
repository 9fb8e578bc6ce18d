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
  /** The llem that owns the session, labelled on its container so the reaper can tell when it is gone. */
  owner?: { dir: string; hostname: string };
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
/** The label every llem container carries: its session id. */
export const LLEM_LABEL = "io.llem.session";

/** Where a replacement adapter (the test engine) is mounted inside a container. */
export const CONTAINER_ADAPTER = "/llem/adapter/adapter.py";

/**
 * The harness command line: `python <harnessDir>/harness.py --engine ID`, plus the replacement adapter at
 * `adapter` (its path where the harness runs) when the launch has one.
 */
export function harnessCommand(
  launch: HarnessLaunch,
  where: { python: string; harnessDir: string; adapter: string | undefined },
): string[] {
  return [
    where.python,
    `${where.harnessDir}/harness.py`,
    "--engine",
    launch.engine,
    ...(where.adapter ? ["--adapter-path", where.adapter] : []),
  ];
}

/**
 * A container's mounts, each as `flag source:target[:ro]` (Docker and Podman's --volume, Apptainer's
 * --bind): the harness, a replacement adapter and the host's read-only folders (read-only), the exchange
 * folder (writable), the secrets file (read-only).
 */
export function containerMounts(launch: HarnessLaunch, flag: "--volume" | "--bind"): string[] {
  return [
    flag,
    `${launch.harnessDir}:${CONTAINER_HARNESS_DIR}:ro`,
    ...(launch.adapterPath ? [flag, `${launch.adapterPath}:${CONTAINER_ADAPTER}:ro`] : []),
    ...launch.readOnlyMounts.flatMap((path) => [flag, `${path}:${path}:ro`]),
    flag,
    `${launch.exchangeDir}:${CONTAINER_EXCHANGE_DIR}`,
    ...(launch.secretsFile ? [flag, `${launch.secretsFile}:${CONTAINER_SECRETS_FILE}:ro`] : []),
  ];
}

/** The launch's environment, plus the Hugging Face offline switches when the network is off. */
export function offlineEnv(launch: HarnessLaunch): Record<string, string> {
  // Without network, make the Hugging Face libraries fail fast instead of retrying downloads.
  return launch.allowNetwork ? launch.env : { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", ...launch.env };
}

/** The environment inside a container: offlineEnv() plus the exchange folder and secrets file paths. */
export function containerEnv(launch: HarnessLaunch): Record<string, string> {
  return {
    ...offlineEnv(launch),
    LLEM_EXCHANGE_DIR: CONTAINER_EXCHANGE_DIR,
    ...(launch.secretsFile ? { LLEM_SECRETS_FILE: CONTAINER_SECRETS_FILE } : {}),
  };
}
