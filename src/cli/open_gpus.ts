import { describeNvmlFailure } from "../gpu/describe_nvml_failure.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { nvmlLibraryPath, openNvmlGpuSystem } from "../gpu/nvml_gpu_system.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";

/** The `--nvml-library` option shared by commands that read GPUs. */
export const NVML_LIBRARY_OPTION = {
  name: "nvml-library",
  type: "string",
  value: "PATH",
  description: "NVML library to load (default: $LLEM_NVML_LIBRARY, else libnvidia-ml.so.1)",
} as const;

/** The `--gpus` option shared by commands that read GPUs. */
export const GPUS_OPTION = {
  name: "gpus",
  type: "string",
  value: "LIST",
  description: "GPU indices or UUIDs, comma-separated (all)",
} as const;

/** Open NVML for a command, turning "not installed / not permitted" into NotReadyError (exit 3). */
export function openGpus(
  explicitPath: string | undefined,
  env: Record<string, string | undefined>,
): GpuSystem {
  const path = nvmlLibraryPath(explicitPath, env);
  try {
    return openNvmlGpuSystem(path);
  } catch (error) {
    const failure = describeNvmlFailure(error, path);
    if (failure) throw new NotReadyError(failure.message, failure.fix, { cause: error });
    throw error;
  }
}
