import type { GpuInfo } from "../src/gpu/gpu.ts";

/** An H100-like GpuInfo for pure tests, with any fields overridden. */
export function gpuInfoFixture(overrides: Partial<GpuInfo> = {}): GpuInfo {
  return {
    index: 0,
    uuid: "GPU-1",
    pciBusId: "00000000:01:00.0",
    name: "NVIDIA H100",
    memoryTotalBytes: 80e9,
    computeCapability: "9.0",
    powerLimitWatts: 700,
    enforcedPowerLimitWatts: 700,
    persistenceMode: true,
    migMode: false,
    capabilities: {
      energyCounter: true,
      instantPowerField: true,
      clockEventReasons: true,
      utilization: true,
    },
    ...overrides,
  };
}
