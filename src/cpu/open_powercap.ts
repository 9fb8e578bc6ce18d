import { join } from "node:path";
import { type CpuDomain, type CpuDomainKind, type CpuEnergySource, noCpuEnergy } from "./cpu_energy.ts";
import { readKernelFile } from "./read_kernel_file.ts";

/** Where Linux exposes the RAPL counters. */
export const POWERCAP_ROOT = "/sys/class/powercap";

/** The kernel numbers zones in hexadecimal, from 0, with gaps after a hot-unplug; these bound the search. */
const MAX_PACKAGES = 64;
const MAX_SUBZONES = 16;

/**
 * The CPU energy counters of Linux's powercap RAPL zones under `root`: the one place llem reads them.
 * AMD processors report through the same zones (the kernel's RAPL driver covers them since Linux 5.8,
 * packages only). The intel-rapl-mmio zones repeat a package's counter and are left out. Zones are found
 * directly under `root` (as in /sys/class/powercap: intel-rapl:0, intel-rapl:0:1, ids in hexadecimal) or
 * nested (as in .../powercap/intel-rapl/intel-rapl:0/intel-rapl:0:1). An unreadable package counter (root
 * only since Linux 5.10) gives a source with no domains, and the reason; an unreadable part is left out.
 */
export function openPowercap(root: string): CpuEnergySource {
  const zones = findZones(root);
  if (zones.length === 0) {
    return noCpuEnergy(
      `no RAPL zones under ${root} (no RAPL driver, a virtual machine, or a container ` +
        "without the host's /sys)",
    );
  }
  // The packages must be readable; a part (core, uncore, dram) or psys that is not is left out.
  const domains = zones.map(domainOf);
  const readable: number[] = [];
  for (const [i, zone] of zones.entries()) {
    const problem = unreadable(join(zone.dir, "energy_uj"));
    if (problem && domains[i]!.kind === "package") return noCpuEnergy(problem);
    if (!problem) readable.push(i);
  }
  const files = readable.map((i) => join(zones[i]!.dir, "energy_uj"));
  return {
    domains: readable.map((i) => domains[i]!),
    unavailableReason: null,
    read: (timeSeconds) => ({ timeSeconds, joules: files.map(readJoules) }),
  };
}

interface Zone {
  id: string;
  dir: string;
  socket: number;
}

/** The zones, packages first each followed by its parts: intel-rapl:0, intel-rapl:0:0, ..., intel-rapl:1. */
function findZones(root: string): Zone[] {
  const zones: Zone[] = [];
  for (let n = 0; n < MAX_PACKAGES; n++) {
    const id = `intel-rapl:${n.toString(16)}`;
    const dir = firstZoneDir([join(root, id), join(root, "intel-rapl", id)]);
    if (dir === null) continue;
    zones.push({ id, dir, socket: n });
    for (let m = 0; m < MAX_SUBZONES; m++) {
      const part = `${id}:${m.toString(16)}`;
      const partDir = firstZoneDir([join(root, part), join(dir, part)]);
      if (partDir !== null) zones.push({ id: part, dir: partDir, socket: n });
    }
  }
  return zones;
}

function firstZoneDir(candidates: readonly string[]): string | null {
  return candidates.find((dir) => "text" in readKernelFile(join(dir, "name"))) ?? null;
}

function domainOf(zone: Zone): CpuDomain {
  const name = readText(join(zone.dir, "name")) ?? zone.id;
  const wrapMicrojoules = Number(readText(join(zone.dir, "max_energy_range_uj")) ?? "");
  // A package's name carries its package id (package-1, or package-1-die-0 on multi-die parts).
  const packageId = /^package-(\d+)/.exec(name);
  return {
    id: zone.id,
    name,
    socket: packageId ? Number(packageId[1]) : zone.socket,
    kind: kindOf(name),
    wrapJoules: Number.isFinite(wrapMicrojoules) && wrapMicrojoules > 0 ? wrapMicrojoules / 1e6 : 0,
  };
}

function kindOf(name: string): CpuDomainKind {
  if (/^package-\d+(?:-die-\d+)?$/.test(name)) return "package";
  return (["dram", "core", "uncore", "psys"] as const).find((kind) => kind === name) ?? "other";
}

/** Why a counter cannot be read, or null when it can. */
function unreadable(file: string): string | null {
  const read = readKernelFile(file);
  if ("text" in read) return null;
  if (read.error === "EACCES") {
    return `${file} is readable by root only (Linux 5.10 and later, CVE-2020-8694): run llem as root, ` +
      "or let its user read the energy_uj files (a udev rule or chmod a+r)";
  }
  return `cannot read ${file} (${read.error})`;
}

function readJoules(file: string): number | null {
  const text = readText(file);
  const microjoules = Number(text);
  return text === null || text === "" || !Number.isFinite(microjoules) ? null : microjoules / 1e6;
}

function readText(file: string): string | null {
  const read = readKernelFile(file);
  return "text" in read ? read.text.trim() : null;
}
