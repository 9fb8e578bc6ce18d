import { NVML_RETURN, type NvmlError } from "../../ffi/nvml_error.ts";
import { LlemError } from "../errors/llem_error.ts";

/** NVML answers that mean the GPU (or the driver) is gone, not that one reading failed. */
const LOST_CODES: ReadonlySet<number> = new Set([
  NVML_RETURN.ERROR_GPU_IS_LOST,
  NVML_RETURN.ERROR_UNINITIALIZED,
  NVML_RETURN.ERROR_DRIVER_NOT_LOADED,
  NVML_RETURN.ERROR_GPU_NOT_FOUND,
  NVML_RETURN.ERROR_RESET_REQUIRED,
]);

/** Whether an NVML return code means the GPU or its driver is gone. */
function isGpuLostCode(code: number): boolean {
  return LOST_CODES.has(code);
}

/** What a lost GPU's error says: which GPU (null when NVML could not name it), which call, what NVML said. */
export interface GpuLostDetails {
  uuid: string | null;
  /** The NVML function that failed, e.g. nvmlDeviceGetTotalEnergyConsumption. */
  nvmlFunction: string;
  /** Its nvmlReturn_t. */
  nvmlCode: number;
  /** The NVML error's own message: the function, the code's name and NVML's text. */
  nvmlMessage: string;
}

/** A GPU stopped answering (lost, reset, driver gone): measuring it cannot go on (exit 4). */
export class GpuLost extends LlemError {
  readonly kind = "measurement_failed";
  readonly details: GpuLostDetails;

  constructor(details: GpuLostDetails, options?: ErrorOptions) {
    super(
      `${
        details.uuid === null ? "the GPUs were lost" : `GPU ${details.uuid} was lost`
      }: ${details.nvmlMessage}`,
      "check the GPU with nvidia-smi; a lost GPU usually needs a reset (nvidia-smi -r) or a reboot",
      options,
    );
    this.details = details;
  }

  /** The GpuLost an NVML error on `uuid` means, or null when its code does not mean a lost GPU. */
  static fromNvml(uuid: string | null, error: NvmlError): GpuLost | null {
    if (!isGpuLostCode(error.code)) return null;
    return new GpuLost(
      { uuid, nvmlFunction: error.functionName, nvmlCode: error.code, nvmlMessage: error.message },
      { cause: error },
    );
  }
}
