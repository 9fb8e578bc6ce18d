/** nvmlReturn_t codes by name (nvml.h). */
export const NVML_RETURN = {
  SUCCESS: 0,
  ERROR_UNINITIALIZED: 1,
  ERROR_INVALID_ARGUMENT: 2,
  ERROR_NOT_SUPPORTED: 3,
  ERROR_NO_PERMISSION: 4,
  ERROR_ALREADY_INITIALIZED: 5,
  ERROR_NOT_FOUND: 6,
  ERROR_INSUFFICIENT_SIZE: 7,
  ERROR_INSUFFICIENT_POWER: 8,
  ERROR_DRIVER_NOT_LOADED: 9,
  ERROR_TIMEOUT: 10,
  ERROR_IRQ_ISSUE: 11,
  ERROR_LIBRARY_NOT_FOUND: 12,
  ERROR_FUNCTION_NOT_FOUND: 13,
  ERROR_CORRUPTED_INFOROM: 14,
  ERROR_GPU_IS_LOST: 15,
  ERROR_RESET_REQUIRED: 16,
  ERROR_OPERATING_SYSTEM: 17,
  ERROR_LIB_RM_VERSION_MISMATCH: 18,
  ERROR_IN_USE: 19,
  ERROR_MEMORY: 20,
  ERROR_NO_DATA: 21,
  ERROR_VGPU_ECC_NOT_SUPPORTED: 22,
  ERROR_INSUFFICIENT_RESOURCES: 23,
  ERROR_FREQ_NOT_SUPPORTED: 24,
  ERROR_ARGUMENT_VERSION_MISMATCH: 25,
  ERROR_DEPRECATED: 26,
  ERROR_NOT_READY: 27,
  ERROR_GPU_NOT_FOUND: 28,
  ERROR_INVALID_STATE: 29,
  ERROR_RESET_TYPE_NOT_SUPPORTED: 30,
  ERROR_UNKNOWN: 999,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(NVML_RETURN).map(([name, code]) => [code, `NVML_${name}`]),
);

/** The symbolic name of an nvmlReturn_t, e.g. `NVML_ERROR_GPU_IS_LOST`. */
export function nvmlReturnName(code: number): string {
  return NAMES.get(code) ?? `NVML_RETURN_${code}`;
}

/** A failed NVML call: the function, its return code and NVML's own message. */
export class NvmlError extends Error {
  /** The nvmlReturn_t. */
  readonly code: number;
  /** The NVML function that returned it. */
  readonly functionName: string;

  constructor(functionName: string, code: number, nvmlMessage: string) {
    super(`${functionName} failed: ${nvmlReturnName(code)} (${nvmlMessage})`);
    this.name = "NvmlError";
    this.code = code;
    this.functionName = functionName;
  }
}

/** Raised when the NVML library cannot be opened or lacks a required symbol. */
export class NvmlUnavailableError extends Error {
  /** The library path that was tried. */
  readonly libraryPath: string;

  constructor(libraryPath: string, reason: string, options?: ErrorOptions) {
    super(`cannot load NVML from "${libraryPath}": ${reason}`, options);
    this.name = "NvmlUnavailableError";
    this.libraryPath = libraryPath;
  }
}
