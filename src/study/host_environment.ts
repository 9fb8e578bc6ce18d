/** What llem records about the host, read once per study. */
export interface HostEnvironment {
  hostname: string | null;
  os: string;
  cpuModel: string | null;
  cpuGovernor: string | null;
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** The CPU model line of /proc/cpuinfo. */
export function cpuModelFrom(cpuinfo: string | null): string | null {
  const line = cpuinfo?.split("\n").find((l) => /^model name\s*:/.test(l));
  return line ? line.replace(/^model name\s*:\s*/, "").trim() : null;
}

/** Hostname, kernel, CPU model and frequency governor; what cannot be read is null. */
export function readHostEnvironment(): HostEnvironment {
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch { /* not permitted */ }
  let os: string = Deno.build.os;
  try {
    os = `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`;
  } catch { /* not permitted */ }
  return {
    hostname,
    os,
    cpuModel: cpuModelFrom(readText("/proc/cpuinfo")),
    cpuGovernor: readText("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")?.trim() || null,
  };
}
