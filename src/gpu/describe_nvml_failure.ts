import { NVML_RETURN, NvmlError, nvmlReturnName, NvmlUnavailableError } from "../../ffi/nvml_error.ts";

/** Why NVML could not be used, and the fix; null when the error is not an NVML start-up failure. */
export function describeNvmlFailure(
  error: unknown,
  libraryPath: string,
): { message: string; fix: string } | null {
  if (error instanceof NvmlUnavailableError) {
    return {
      message: error.message,
      fix: "install the NVIDIA driver, or point LLEM_NVML_LIBRARY (or --nvml-library) at libnvidia-ml.so.1",
    };
  }
  if (error instanceof NvmlError) {
    const fixes: Record<number, string> = {
      [NVML_RETURN.ERROR_DRIVER_NOT_LOADED]:
        "load the NVIDIA kernel driver (is this a GPU machine? try nvidia-smi)",
      [NVML_RETURN.ERROR_NO_PERMISSION]:
        "this user may not access the GPU devices; check /dev/nvidia* permissions",
      [NVML_RETURN.ERROR_LIB_RM_VERSION_MISMATCH]:
        "the driver was updated without a reboot; reboot or reload it",
    };
    const nvmlMessage = error.message.replace(/^.*\((.*)\)$/, "$1");
    return {
      message: `NVML (${libraryPath}) is not usable: ${
        nvmlReturnName(error.code)
      } from ${error.functionName} (${nvmlMessage})`,
      fix: fixes[error.code] ?? 'run "llem doctor"',
    };
  }
  return null;
}
