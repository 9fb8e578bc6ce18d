import { NVML_RETURN, NvmlError, nvmlReturnName, NvmlUnavailableError } from "../../ffi/nvml_error.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import { nvmlLibraryPath, openNvmlGpuSystem } from "../gpu/nvml_gpu_system.ts";
import { NotReadyError } from "./not_ready_error.ts";

/** The `--nvml-library` option shared by commands that read GPUs. */
export const NVML_LIBRARY_OPTION = {
  name: "nvml-library",
  type: "string",
  value: "PATH",
  description: "NVML library to load (default: $LLEM_NVML_LIBRARY, else libnvidia-ml.so.1)",
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
    throw notReady(error, path);
  }
}

/** The message and fix for an NVML failure at start-up; other errors pass through unchanged. */
export function notReady(error: unknown, path: string): unknown {
  if (error instanceof NvmlUnavailableError) {
    return new NotReadyError(
      error.message,
      "install the NVIDIA driver, or point LLEM_NVML_LIBRARY (or --nvml-library) at libnvidia-ml.so.1",
      { cause: error },
    );
  }
  if (error instanceof NvmlError) {
    const hints: Record<number, string> = {
      [NVML_RETURN.ERROR_DRIVER_NOT_LOADED]:
        "load the NVIDIA kernel driver (is this a GPU machine? try nvidia-smi)",
      [NVML_RETURN.ERROR_NO_PERMISSION]:
        "this user may not access the GPU devices; check /dev/nvidia* permissions",
      [NVML_RETURN.ERROR_LIB_RM_VERSION_MISMATCH]:
        "the driver was updated without a reboot; reboot or reload it",
    };
    return new NotReadyError(
      `NVML (${path}) is not usable: ${nvmlReturnName(error.code)} from ${error.functionName} (${
        error.message.replace(/^.*\((.*)\)$/, "$1")
      })`,
      hints[error.code] ?? "run llem doctor",
      { cause: error },
    );
  }
  return error;
}
