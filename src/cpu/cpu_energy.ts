/** What a RAPL domain measures: a CPU package, its DRAM, or parts and supersets of a package. */
export type CpuDomainKind = "package" | "dram" | "core" | "uncore" | "psys" | "other";

/** One RAPL energy counter, e.g. intel-rapl:0 (package-0) or intel-rapl:0:1 (its dram). */
export interface CpuDomain {
  /** The powercap zone, e.g. "intel-rapl:0:1". */
  id: string;
  /** The zone's own name, e.g. "package-0", "dram". */
  name: string;
  /** The package (socket) the zone belongs to: N of intel-rapl:N. */
  socket: number;
  kind: CpuDomainKind;
  /** Where the counter wraps to zero (max_energy_range_uj), joules. */
  wrapJoules: number;
}

/** Every domain's counter at one time, raw (wrapping), joules; null where that read failed. */
export interface CpuReading {
  timeSeconds: number;
  joules: (number | null)[];
}

/**
 * The host's CPU energy counters: the domains found, or why there are none (no powercap, not root).
 * The one implementation that touches sysfs is openPowercap() (src/cpu/open_powercap.ts).
 */
export interface CpuEnergySource {
  readonly domains: readonly CpuDomain[];
  /** Why CPU energy cannot be measured here; null when it can. */
  readonly unavailableReason: string | null;
  /** Read every domain now; `timeSeconds` is stamped on the reading. */
  read(timeSeconds: number): CpuReading;
}

/** A source that measures nothing, and says why. */
export function noCpuEnergy(reason: string): CpuEnergySource {
  return {
    domains: [],
    unavailableReason: reason,
    read: (timeSeconds) => ({ timeSeconds, joules: [] }),
  };
}

/** One domain's energy over a stretch of readings; null when a read failed or the counter cannot wrap. */
export interface CpuDomainEnergy {
  domain: string;
  name: string;
  socket: number;
  kind: CpuDomainKind;
  energyJoules: number | null;
}

/**
 * Each domain's energy from the first reading to the last, summing the steps between consecutive
 * readings. A step that goes down is the counter wrapping: it adds `wrapJoules` back. Readings must
 * come more often than a counter wraps (minutes at full load), which the run's periodic reads ensure.
 */
export function cpuDomainEnergy(
  domains: readonly CpuDomain[],
  readings: readonly CpuReading[],
): CpuDomainEnergy[] {
  return domains.map((domain, d) => ({
    domain: domain.id,
    name: domain.name,
    socket: domain.socket,
    kind: domain.kind,
    energyJoules: counterSum(readings.map((reading) => reading.joules[d] ?? null), domain.wrapJoules),
  }));
}

/** The sum of a wrapping counter's steps; null if any value is missing or a wrap cannot be undone. */
export function counterSum(values: readonly (number | null)[], wrapJoules: number): number | null {
  if (values.length < 2 || values.some((value) => value === null)) return null;
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const step = wrappedStep(values[i - 1]!, { to: values[i]!, wrapJoules });
    if (step === null) return null;
    total += step;
  }
  return total;
}

/**
 * The energy between two raw counter values, one wrap allowed. A step down is a wrap only where one is
 * possible: both values within the counter's range and the wrapped step under half of it (reads come a
 * fifth of a second apart; a counter takes minutes to wrap). Anything else (a counter that went back a
 * little, a range the hardware misreports) is null: never a whole range of energy, never a negative one.
 */
export function wrappedStep(from: number, counter: { to: number; wrapJoules: number }): number | null {
  const { to, wrapJoules } = counter;
  if (to >= from) return to - from;
  const wrapped = to + wrapJoules - from;
  const plausible = wrapJoules > 0 && from <= wrapJoules && wrapped >= 0 && wrapped < wrapJoules / 2;
  return plausible ? wrapped : null;
}

/**
 * The packages' and the DRAMs' energy (core, uncore and psys overlap a package and are not added); null
 * where there is no zone of that kind or one of them failed.
 */
export function cpuEnergyTotals(
  energy: readonly CpuDomainEnergy[],
): { packageJoules: number | null; dramJoules: number | null } {
  return { packageJoules: sumOf(energy, "package"), dramJoules: sumOf(energy, "dram") };
}

function sumOf(energy: readonly CpuDomainEnergy[], kind: CpuDomainKind): number | null {
  const ofKind = energy.filter((e) => e.kind === kind);
  if (ofKind.length === 0 || ofKind.some((e) => e.energyJoules === null)) return null;
  return ofKind.reduce((total, e) => total + e.energyJoules!, 0);
}
