import { readSystemFile, type SystemFileText } from "../runners/read_system_file.ts";

/** What llem records about the host, read once per study. */
export interface HostEnvironment {
  hostname: string | null;
  os: string;
  cpuModel: string | null;
  cpuGovernor: string | null;
  /** Why a field is null (or `os` only the platform), by its result.json name; absent when all were read. */
  unknown?: Partial<Record<"hostname" | "os" | "cpu_model" | "cpu_governor", string>>;
}

/** Where Linux tells the CPU model (x86: a "model name" line per CPU). */
export const CPUINFO = "/proc/cpuinfo";
/** Where Linux's cpufreq driver tells CPU 0's frequency governor; absent without one (VMs, some ARM). */
export const GOVERNOR = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";

/** The CPU model line of /proc/cpuinfo. */
export function cpuModelFrom(cpuinfo: string | null): string | null {
  const line = cpuinfo?.split("\n").find((l) => /^model name\s*:/.test(l));
  return line ? line.replace(/^model name\s*:\s*/, "").trim() : null;
}

/**
 * Hostname, kernel, CPU model and frequency governor. What cannot be read is null, and `unknown` says why:
 * a file that is missing, unreadable, or that has no such line (ARM's /proc/cpuinfo names no model).
 */
export async function readHostEnvironment(): Promise<HostEnvironment> {
  const unknown: NonNullable<HostEnvironment["unknown"]> = {};
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch (error) {
    unknown.hostname = `Deno.hostname() failed: ${(error as Error).message}`;
  }
  let os: string = Deno.build.os;
  try {
    os = `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`;
  } catch (error) {
    unknown.os = `the kernel release is unknown: ${(error as Error).message}`;
  }
  const linux = Deno.build.os === "linux";
  const [cpuinfo, governor] = linux
    ? await Promise.all([readSystemFile(CPUINFO), readSystemFile(GOVERNOR)])
    : [{ unreadable: `not Linux (${Deno.build.os})` }, { unreadable: `not Linux (${Deno.build.os})` }];
  const cpuModel = cpuModelFrom(textOf(cpuinfo));
  if (cpuModel === null) {
    unknown.cpu_model = "text" in cpuinfo
      ? `${CPUINFO} has no "model name" line`
      : `cannot read ${CPUINFO}: ${cpuinfo.unreadable}`;
  }
  const cpuGovernor = textOf(governor)?.trim() || null;
  if (cpuGovernor === null) {
    unknown.cpu_governor = "text" in governor
      ? `${GOVERNOR} is empty`
      : `cannot read ${GOVERNOR} (no cpufreq driver?): ${governor.unreadable}`;
  }
  return { hostname, os, cpuModel, cpuGovernor, ...(Object.keys(unknown).length ? { unknown } : {}) };
}

function textOf(file: SystemFileText): string | null {
  return "text" in file ? file.text : null;
}
