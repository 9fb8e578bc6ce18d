/**
 * NVML's exported symbols, as `Deno.dlopen` declares them: versioned export names verbatim, the C
 * prototype beside each. Entry points newer than about driver R470 are `optional`, so an old driver
 * loads and the caller falls back. Sources: nvml.h (API 13) and reference/nvml.md.
 */
const P = "pointer" as const;
const B = "buffer" as const;

/** The NVML symbol table for `Deno.dlopen`. */
export const NVML_SYMBOLS = {
  // nvmlReturn_t nvmlInit_v2(void)
  nvmlInit_v2: { parameters: [], result: "i32" },
  // nvmlReturn_t nvmlShutdown(void)
  nvmlShutdown: { parameters: [], result: "i32" },
  // const char* nvmlErrorString(nvmlReturn_t result)
  nvmlErrorString: { parameters: ["i32"], result: "pointer" },
  // nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
  nvmlSystemGetDriverVersion: { parameters: [B, "u32"], result: "i32" },
  // nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *cudaDriverVersion)
  nvmlSystemGetCudaDriverVersion: { parameters: [B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
  nvmlDeviceGetCount_v2: { parameters: [B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
  nvmlDeviceGetHandleByIndex_v2: { parameters: ["u32", B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
  nvmlDeviceGetName: { parameters: [P, B, "u32"], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
  nvmlDeviceGetUUID: { parameters: [P, B, "u32"], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
  nvmlDeviceGetPciInfo_v3: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor)
  nvmlDeviceGetCudaComputeCapability: { parameters: [P, B, B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode)
  nvmlDeviceGetMigMode: { parameters: [P, B, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, nvmlEnableState_t *mode)
  nvmlDeviceGetPersistenceMode: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
  nvmlDeviceGetTotalEnergyConsumption: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
  nvmlDeviceGetPowerUsage: { parameters: [P, B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit)
  nvmlDeviceGetPowerManagementLimit: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit)
  nvmlDeviceGetEnforcedPowerLimit: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values)
  nvmlDeviceGetFieldValues: { parameters: [P, "i32", B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp)
  nvmlDeviceGetTemperature: { parameters: [P, "i32", B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
  nvmlDeviceGetMemoryInfo: { parameters: [P, B], result: "i32" },
  // nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory)
  nvmlDeviceGetMemoryInfo_v2: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
  nvmlDeviceGetUtilizationRates: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock)
  nvmlDeviceGetClockInfo: { parameters: [P, "i32", B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, unsigned long long *clocksEventReasons)
  nvmlDeviceGetCurrentClocksEventReasons: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *clocksThrottleReasons)
  nvmlDeviceGetCurrentClocksThrottleReasons: { parameters: [P, B], result: "i32", optional: true },
  // nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_t *infos)
  nvmlDeviceGetComputeRunningProcesses_v3: { parameters: [P, B, B], result: "i32", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's functions. */
export type NvmlSymbols = Deno.DynamicLibrary<typeof NVML_SYMBOLS>["symbols"];

/** Field ids for nvmlDeviceGetFieldValues (nvml.h). */
export const NVML_FIELD = {
  /** NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION: millijoules since driver load. */
  TOTAL_ENERGY_CONSUMPTION: 83,
  /** NVML_FI_DEV_POWER_AVERAGE: milliwatts, 1 s average (Ampere except GA100, and newer). */
  POWER_AVERAGE: 185,
  /** NVML_FI_DEV_POWER_INSTANT: milliwatts, instantaneous (all architectures). */
  POWER_INSTANT: 186,
} as const;

/** nvmlClockType_t values. */
export const NVML_CLOCK = { GRAPHICS: 0, SM: 1, MEM: 2, VIDEO: 3 } as const;

/** nvmlTemperatureSensors_t: the GPU die sensor. */
export const NVML_TEMPERATURE_GPU = 0;

/** Struct versions: sizeof(struct) | (version << 24) (NVML_STRUCT_VERSION). */
export const NVML_MEMORY_V2_VERSION = 0x02000028;

/** Byte sizes of the structs llem passes (x86_64 / aarch64 LP64). */
export const NVML_SIZEOF = {
  memory: 24,
  memoryV2: 40,
  utilization: 8,
  fieldValue: 40,
  pciInfo: 68,
  processInfo: 24,
} as const;
