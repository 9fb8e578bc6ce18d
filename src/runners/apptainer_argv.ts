import {
  CONTAINER_ADAPTER,
  CONTAINER_HARNESS_DIR,
  containerEnv,
  containerMounts,
  harnessCommand,
  type HarnessLaunch,
} from "./harness_launch.ts";

/** The `apptainer` runner: `exec --nv --containall` from a .sif or image reference, same mounts. */
export function apptainerArgv(launch: HarnessLaunch, options: { image: string; python?: string }): string[] {
  const { image, python = "python3" } = options;
  const adapter = launch.adapterPath ? CONTAINER_ADAPTER : undefined;
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
    // --network is read only with --net (a new network namespace); "none" leaves only a loopback interface.
    ...(launch.allowNetwork ? [] : ["--net", "--network", "none"]),
    ...containerMounts(launch, "--bind"),
    ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    image,
    ...harnessCommand(launch, { python, harnessDir: CONTAINER_HARNESS_DIR, adapter }),
  ];
}
