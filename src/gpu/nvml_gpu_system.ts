import { NVML_RETURN, NvmlError } from "../../ffi/nvml_error.ts";
import { DEFAULT_NVML_LIBRARY, type NvmlDevice, NvmlLibrary } from "../../ffi/nvml_library.ts";
import { NVML_CLOCK, NVML_FIELD } from "../../ffi/nvml_symbols.ts";
import { GpuLost } from "./gpu_lost.ts";
import { GpuReadFailed } from "./gpu_read_failed.ts";
import type { Gpu, GpuCapabilities, GpuInfo, GpuProcess, GpuSample, GpuSystem, PowerSource } from "./gpu.ts";

/** The NVML library path: an explicit one, else LLEM_NVML_LIBRARY, else the driver's soname. */
export function nvmlLibraryPath(
  explicit: string | undefined,
  env: Record<string, string | undefined>,
): string {
  return explicit ?? env.LLEM_NVML_LIBRARY ?? DEFAULT_NVML_LIBRARY;
}

/** Load NVML, initialise it and discover every GPU. Throws NvmlUnavailableError or NvmlError. */
export function openNvmlGpuSystem(libraryPath: string): GpuSystem {
  const nvml = NvmlLibrary.open(libraryPath);
  try {
    nvml.init();
  } catch (error) {
    nvml.close();
    throw error;
  }
  try {
    const driverVersion = nvml.systemGetDriverVersion();
    const cuda = attempt(() => nvml.systemGetCudaDriverVersion());
    const count = nvml.deviceGetCount();
    const gpus: Gpu[] = [];
    for (let index = 0; index < count; index++) {
      const handle = attempt(() => nvml.deviceGetHandleByIndex(index));
      // deviceGetCount_v2 also counts GPUs this process may not open (NO_PERMISSION): skip those.
      if (handle === null) continue;
      gpus.push(new NvmlGpu(nvml, handle, discover(nvml, handle, index)));
    }
    let closed = false;
    return {
      driverVersion,
      cudaDriverVersion: cuda === null
        ? null
        : `${Math.floor(cuda / 1000)}.${Math.floor((cuda % 1000) / 10)}`,
      libraryPath,
      gpus,
      close() {
        if (closed) return;
        closed = true;
        attempt(() => nvml.shutdown());
        nvml.close();
      },
    };
  } catch (error) {
    attempt(() => nvml.shutdown());
    nvml.close();
    throw error;
  }
}

function discover(nvml: NvmlLibrary, handle: NvmlDevice, index: number): GpuInfo {
  const capability = attempt(() => nvml.deviceGetCudaComputeCapability(handle));
  const limit = attempt(() => nvml.deviceGetPowerManagementLimit(handle));
  const enforced = attempt(() => nvml.deviceGetEnforcedPowerLimit(handle));
  const memory = attempt(() => nvml.deviceGetMemoryInfo(handle));
  return {
    index,
    uuid: nvml.deviceGetUuid(handle),
    pciBusId: attempt(() => nvml.deviceGetPciInfo(handle).busId),
    name: nvml.deviceGetName(handle),
    memoryTotalBytes: memory === null ? 0 : Number(memory.totalBytes),
    computeCapability: capability === null ? null : `${capability[0]}.${capability[1]}`,
    powerLimitWatts: limit === null ? null : limit / 1000,
    enforcedPowerLimitWatts: enforced === null ? null : enforced / 1000,
    persistenceMode: attempt(() => nvml.deviceGetPersistenceMode(handle)),
    migMode: attempt(() => nvml.deviceGetMigMode(handle)),
    capabilities: probeCapabilities(nvml, handle),
  };
}

function probeCapabilities(nvml: NvmlLibrary, handle: NvmlDevice): GpuCapabilities {
  const instant = attempt(() => nvml.deviceGetFieldValues(handle, [NVML_FIELD.POWER_INSTANT]));
  return {
    energyCounter: attempt(() => nvml.deviceGetTotalEnergyConsumption(handle)) !== null,
    instantPowerField: instant !== null && instant[0]!.nvmlReturn === NVML_RETURN.SUCCESS,
    clockEventReasons: attempt(() => nvml.deviceGetCurrentClocksEventReasons(handle)) !== null,
    utilization: attempt(() => nvml.deviceGetUtilizationRates(handle)) !== null,
  };
}

/**
 * Run an NVML read; an NvmlError becomes null (the caller records the capability as missing), except one
 * that means the GPU is gone: a lost GPU must not pass for a GPU without the capability.
 */
function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof NvmlError)) throw error;
    const lost = GpuLost.fromNvml(null, error);
    if (lost) throw lost;
    return null;
  }
}

/** A Gpu backed by NVML: raw millijoules and milliwatts are converted here and nowhere else. */
class NvmlGpu implements Gpu {
  readonly info: GpuInfo;
  readonly #nvml: NvmlLibrary;
  readonly #handle: NvmlDevice;

  constructor(nvml: NvmlLibrary, handle: NvmlDevice, info: GpuInfo) {
    this.#nvml = nvml;
    this.#handle = handle;
    this.info = info;
  }

  readEnergyJoules(): number | null {
    if (!this.info.capabilities.energyCounter) return null;
    return this.#fatal(() => Number(this.#nvml.deviceGetTotalEnergyConsumption(this.#handle)) / 1000);
  }

  readPowerWatts(): { powerWatts: number; source: PowerSource } {
    return this.#fatal(() => this.#power());
  }

  // The plain power reading is a 1 s average on Ampere (except GA100) and newer; the instant field is not.
  #power(): { powerWatts: number; source: PowerSource } {
    if (this.info.capabilities.instantPowerField) {
      const [field] = this.#nvml.deviceGetFieldValues(this.#handle, [NVML_FIELD.POWER_INSTANT]);
      if (field!.nvmlReturn === NVML_RETURN.SUCCESS) {
        return { powerWatts: field!.value / 1000, source: "instant_field" };
      }
    }
    return { powerWatts: this.#nvml.deviceGetPowerUsage(this.#handle) / 1000, source: "power_usage" };
  }

  sample(timeSeconds: number): GpuSample {
    let errorCount = 0;
    const read = <T>(fn: () => T): T | null => {
      try {
        return fn();
      } catch (error) {
        if (!(error instanceof NvmlError)) throw error;
        const lost = GpuLost.fromNvml(this.info.uuid, error);
        if (lost) throw lost;
        errorCount += 1;
        return null;
      }
    };
    const capabilities = this.info.capabilities;
    const power = read(() => this.#power());
    const memory = read(() => this.#nvml.deviceGetMemoryInfo(this.#handle));
    const utilization = capabilities.utilization
      ? read(() => this.#nvml.deviceGetUtilizationRates(this.#handle))
      : null;
    return {
      timeSeconds,
      energyJoules: capabilities.energyCounter
        ? read(() => Number(this.#nvml.deviceGetTotalEnergyConsumption(this.#handle)) / 1000)
        : null,
      powerWatts: power?.powerWatts ?? null,
      powerSource: power?.source ?? null,
      temperatureCelsius: read(() => this.#nvml.deviceGetTemperature(this.#handle)),
      memoryUsedBytes: memory === null ? null : Number(memory.usedBytes),
      smClockMhz: read(() => this.#nvml.deviceGetClockInfo(this.#handle, NVML_CLOCK.SM)),
      memoryClockMhz: read(() => this.#nvml.deviceGetClockInfo(this.#handle, NVML_CLOCK.MEM)),
      utilizationGpuPercent: utilization?.[0] ?? null,
      utilizationMemoryPercent: utilization?.[1] ?? null,
      clockEventReasons: capabilities.clockEventReasons
        ? read(() => this.#nvml.deviceGetCurrentClocksEventReasons(this.#handle))
        : null,
      errorCount,
    };
  }

  runningProcesses(): GpuProcess[] {
    return this.#fatal(() =>
      this.#nvml.deviceGetComputeRunningProcesses(this.#handle).map((p) => ({
        pid: p.pid,
        usedMemoryBytes: Number(p.usedGpuMemoryBytes),
      }))
    );
  }

  /** A reading that cannot be skipped: a lost GPU is GpuLost, any other NVML failure GpuReadFailed. */
  #fatal<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof NvmlError)) throw error;
      throw GpuLost.fromNvml(this.info.uuid, error) ??
        new GpuReadFailed(`GPU ${this.info.uuid}: ${error.message}`, 'run "llem doctor" to check the GPU', {
          cause: error,
        });
    }
  }
}
