import type { CpuDomain, CpuEnergySource } from "../src/cpu/cpu_energy.ts";

/** The draw of a scripted CPU: each domain's constant power, and where its counter wraps. */
export interface ScriptedCpu {
  packageWatts: number;
  dramWatts: number;
  /** The counters' range, joules (real ones: 262 kJ for a package, 65.7 kJ for DRAM). */
  wrapJoules: number;
}

const DEFAULT: ScriptedCpu = { packageWatts: 40, dramWatts: 8, wrapJoules: 262_143.32885 };

/**
 * A one-socket CPU (package-0 with its dram) drawing constant power, its counters the integral of that
 * power since the first read, wrapped at their range as RAPL's are. Read on the study's clock.
 */
export function scriptedCpuEnergy(script: Partial<ScriptedCpu> = {}): CpuEnergySource & { reads: number } {
  const cpu = { ...DEFAULT, ...script };
  const domains: CpuDomain[] = [
    { id: "intel-rapl:0", name: "package-0", socket: 0, kind: "package", wrapJoules: cpu.wrapJoules },
    { id: "intel-rapl:0:0", name: "dram", socket: 0, kind: "dram", wrapJoules: cpu.wrapJoules },
  ];
  let origin: number | null = null;
  const source = {
    domains,
    unavailableReason: null,
    reads: 0,
    read(timeSeconds: number) {
      source.reads += 1;
      origin ??= timeSeconds;
      const counter = (watts: number) => (watts * (timeSeconds - origin!)) % cpu.wrapJoules;
      return { timeSeconds, joules: [counter(cpu.packageWatts), counter(cpu.dramWatts)] };
    },
  };
  return source;
}
