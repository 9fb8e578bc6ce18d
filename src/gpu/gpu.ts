/** What llem knows about one GPU, read once at discovery. */
export interface GpuInfo {
  /** NVML index (not necessarily CUDA's). */
  index: number;
  /** `GPU-...`: how llem names GPUs internally. */
  uuid: string;
  pciBusId: string | null;
  name: string;
  memoryTotalBytes: number;
  /** e.g. "9.0" */
  computeCapability: string | null;
  /** Configured power limit. */
  powerLimitWatts: number | null;
  /** Effective limit after all limiters. */
  enforcedPowerLimitWatts: number | null;
  persistenceMode: boolean | null;
  migMode: boolean | null;
  capabilities: GpuCapabilities;
}

/** Which measurements this GPU and driver support. */
export interface GpuCapabilities {
  /** nvmlDeviceGetTotalEnergyConsumption works (Volta and newer). */
  energyCounter: boolean;
  /** The instantaneous power field (NVML_FI_DEV_POWER_INSTANT) works. */
  instantPowerField: boolean;
  /** Clock-event (throttle) reasons can be read. */
  clockEventReasons: boolean;
  /** Utilisation rates can be read (not on MIG parents). */
  utilization: boolean;
}

/** Where a power reading came from. */
export type PowerSource = "instant_field" | "power_usage";

/** One sample of one GPU; a field is null when it could not be read this time. */
export interface GpuSample {
  /** Host monotonic time of the sample, seconds. */
  timeSeconds: number;
  /** Cumulative energy counter, joules since driver load. */
  energyJoules: number | null;
  powerWatts: number | null;
  powerSource: PowerSource | null;
  temperatureCelsius: number | null;
  memoryUsedBytes: number | null;
  smClockMhz: number | null;
  memoryClockMhz: number | null;
  utilizationGpuPercent: number | null;
  utilizationMemoryPercent: number | null;
  /** Raw clock-event reason bits (new bits may appear; decode for display only). */
  clockEventReasons: bigint | null;
  /** Reads that failed transiently in this sample. */
  errorCount: number;
}

/** A process holding a GPU. */
export interface GpuProcess {
  pid: number;
  usedMemoryBytes: number;
}

/** One GPU, seen only through units-in-the-name readings. */
export interface Gpu {
  readonly info: GpuInfo;
  /** The cumulative energy counter, or null where the GPU has none. */
  readEnergyJoules(): number | null;
  /** Current power, from the instantaneous field where supported (see PowerSource). */
  readPowerWatts(): { powerWatts: number; source: PowerSource };
  /** Every reading at once; transient failures become nulls and count in errorCount. */
  sample(timeSeconds: number): GpuSample;
  /** Compute processes on this GPU. */
  runningProcesses(): GpuProcess[];
}

/** The GPUs of one machine and the driver that serves them. */
export interface GpuSystem {
  driverVersion: string;
  /** e.g. "12.4", or null when unknown. */
  cudaDriverVersion: string | null;
  /** Library the system was loaded from. */
  libraryPath: string;
  gpus: Gpu[];
  /** Shut NVML down and unload it. */
  close(): void;
}
