import { harnessCommand, type HarnessLaunch, offlineEnv } from "./harness_launch.ts";

/** The `process` runner: the harness under a chosen Python, GPUs chosen by CUDA_VISIBLE_DEVICES. */
export function processArgv(
  launch: HarnessLaunch,
  python = "python3",
): { argv: string[]; env: Record<string, string> } {
  return {
    argv: harnessCommand(launch, { python, harnessDir: launch.harnessDir, adapter: launch.adapterPath }),
    env: {
      ...offlineEnv(launch),
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
      CUDA_VISIBLE_DEVICES: launch.gpuUuids.join(","),
      LLEM_EXCHANGE_DIR: launch.exchangeDir,
      ...(launch.secretsFile ? { LLEM_SECRETS_FILE: launch.secretsFile } : {}),
    },
  };
}
