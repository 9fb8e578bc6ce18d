import {
  CONTAINER_ADAPTER,
  CONTAINER_HARNESS_DIR,
  containerEnv,
  containerMounts,
  harnessCommand,
  type HarnessLaunch,
} from "./harness_launch.ts";

/** The command that runs Apptainer containers: Apptainer, or Singularity where only it is installed. */
export type ApptainerProgram = "apptainer" | "singularity";

/**
 * The prefix that makes a variable of the client's environment one of the container's, under --cleanenv.
 * Apptainer still reads SINGULARITYENV_ (with a deprecation warning); Singularity knows only its own.
 */
const CONTAINER_ENV_PREFIX: Readonly<Record<ApptainerProgram, string>> = {
  apptainer: "APPTAINERENV_",
  singularity: "SINGULARITYENV_",
};

/**
 * The only variables of llem's environment the apptainer client is started with: where it finds its helpers
 * and the NVIDIA tools `--nv` binds (PATH), and where it keeps its caches and temporary files. Every other
 * one is left out, because Apptainer reads its own options from the environment: APPTAINERENV_X sets X
 * inside the container even under --cleanenv, and APPTAINER_BIND, APPTAINER_HOME, APPTAINER_OVERLAY and the
 * like add mounts or change the container.
 */
export const APPTAINER_CLIENT_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "TMPDIR",
  "XDG_RUNTIME_DIR",
  "APPTAINER_CACHEDIR",
  "APPTAINER_TMPDIR",
  "SINGULARITY_CACHEDIR",
  "SINGULARITY_TMPDIR",
];

/** How a session starts under Apptainer: the command, and the client's environment. */
export interface ApptainerLaunch {
  argv: string[];
  /** The container's variables, each as APPTAINERENV_<NAME> (SINGULARITYENV_): the only way they reach it. */
  env: Record<string, string>;
  /** The names of llem's variables the client keeps (APPTAINER_CLIENT_ENV). */
  inherit: readonly string[];
}

/**
 * The `apptainer` runner: `exec` from a .sif (or another image Apptainer runs), with the same mounts as the
 * other container runners. `--nv` binds every NVIDIA device of the node, so the session's GPUs are chosen by
 * CUDA_VISIBLE_DEVICES (their UUIDs) inside; `--containall` keeps the host's $HOME, /tmp, working directory,
 * processes, IPC and environment out; variables reach the container only as APPTAINERENV_* set here.
 */
export function apptainerArgv(
  launch: HarnessLaunch,
  options: {
    image: string;
    /**
     * The container's /tmp, /var/tmp and $HOME (--workdir): a folder on the host's disk. Without one they are
     * in a tmpfs of `sessiondir max size` (apptainer.conf; 64 MiB by default), which compilers' caches
     * (Triton, TorchInductor) outgrow.
     */
    workDir?: string;
    /** The command to run (ApptainerProgram); apptainer unless only singularity is installed. */
    program?: ApptainerProgram;
    python?: string;
  },
): ApptainerLaunch {
  const { image, python = "python3", program = "apptainer" } = options;
  const adapter = launch.adapterPath ? CONTAINER_ADAPTER : undefined;
  const inside = {
    ...containerEnv(launch),
    CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    CUDA_VISIBLE_DEVICES: launch.gpuUuids.join(","),
  };
  const argv = [
    program,
    "exec",
    "--nv",
    "--containall",
    // Implied by --containall; said outright, because the isolation rests on it.
    "--cleanenv",
    ...(options.workDir ? ["--workdir", options.workDir] : []),
    // --network is read only with --net (a new network namespace); "none" leaves only a loopback interface.
    ...(launch.allowNetwork ? [] : ["--net", "--network", "none"]),
    ...containerMounts(launch, "--bind"),
    image,
    ...harnessCommand(launch, { python, harnessDir: CONTAINER_HARNESS_DIR, adapter }),
  ];
  const env = Object.fromEntries(
    Object.entries(inside).map(([name, value]) => [`${CONTAINER_ENV_PREFIX[program]}${name}`, value]),
  );
  return { argv, env, inherit: APPTAINER_CLIENT_ENV };
}
