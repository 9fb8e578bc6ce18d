import { join } from "node:path";

/** One zone of the stand-in: its id (intel-rapl:N or intel-rapl:N:M), name and counter range. */
export interface StandInZone {
  id: string;
  name: string;
  /** max_energy_range_uj: where the counter wraps to 0. */
  maxMicrojoules: number;
  /** energy_uj at the start. */
  microjoules?: number;
}

/**
 * A stand-in of Linux's powercap sysfs for RAPL, laid out as the kernel does: zones nested under
 * devices/intel-rapl (intel-rapl:0/intel-rapl:0:0), linked flat from `classDir` (= /sys/class/powercap),
 * with the control type's own folder `classDir/intel-rapl` (what Zeus and CodeCarbon read). Counters are
 * set by the test or benchmark, wrapping at their range as the hardware does.
 */
export class StandInPowercap {
  readonly classDir: string;
  readonly #zones: Map<string, { dir: string; maxMicrojoules: number }>;

  private constructor(classDir: string, zones: Map<string, { dir: string; maxMicrojoules: number }>) {
    this.classDir = classDir;
    this.#zones = zones;
  }

  /** Build the tree under `root` (an empty temporary folder). */
  static create(root: string, zones: readonly StandInZone[]): StandInPowercap {
    const control = join(root, "devices", "intel-rapl");
    const classDir = join(root, "class", "powercap");
    Deno.mkdirSync(classDir, { recursive: true });
    Deno.mkdirSync(control, { recursive: true });
    Deno.symlinkSync(control, join(classDir, "intel-rapl"));
    const made = new Map<string, { dir: string; maxMicrojoules: number }>();
    for (const zone of zones) {
      const parent = zone.id.split(":").length === 3 ? zone.id.split(":").slice(0, 2).join(":") : null;
      const dir = parent === null ? join(control, zone.id) : join(control, parent, zone.id);
      Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(join(dir, "name"), `${zone.name}\n`);
      Deno.writeTextFileSync(join(dir, "max_energy_range_uj"), `${zone.maxMicrojoules}\n`);
      Deno.writeTextFileSync(join(dir, "enabled"), "1\n");
      Deno.symlinkSync(dir, join(classDir, zone.id));
      made.set(zone.id, { dir, maxMicrojoules: zone.maxMicrojoules });
    }
    const powercap = new StandInPowercap(classDir, made);
    for (const zone of zones) powercap.setMicrojoules(zone.id, zone.microjoules ?? 0);
    return powercap;
  }

  /** A typical one-socket machine: package-0 (range 262 kJ), its core and dram (range 65.7 kJ). */
  static oneSocket(root: string): StandInPowercap {
    return StandInPowercap.create(root, [
      { id: "intel-rapl:0", name: "package-0", maxMicrojoules: 262143328850 },
      { id: "intel-rapl:0:0", name: "core", maxMicrojoules: 262143328850 },
      { id: "intel-rapl:0:1", name: "dram", maxMicrojoules: 65712999613 },
    ]);
  }

  /** Set a zone's counter, wrapped into its range as the hardware's is. */
  setMicrojoules(id: string, microjoules: number): void {
    const zone = this.#zones.get(id)!;
    const wrapped = ((Math.round(microjoules) % zone.maxMicrojoules) + zone.maxMicrojoules) %
      zone.maxMicrojoules;
    writeAtomically(join(zone.dir, "energy_uj"), `${wrapped}\n`);
  }

  /** The folder of a zone (to break it in a test). */
  zoneDir(id: string): string {
    return this.#zones.get(id)!.dir;
  }
}

/** Replace a file in one step, so that a reader never sees it half written. */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  Deno.writeTextFileSync(temporary, text);
  Deno.renameSync(temporary, path);
}
