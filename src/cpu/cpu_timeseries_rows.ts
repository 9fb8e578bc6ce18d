import { type CpuDomain, type CpuReading, wrappedStep } from "./cpu_energy.ts";

/** One domain at one reading: the energy since the run's first reading, and the mean power since the last. */
export interface CpuTimeseriesRow {
  /** Unix seconds on the shared clock. */
  timeSeconds: number;
  domain: string;
  name: string;
  socket: number;
  /** Cumulative since the run's first reading, wraps undone; null from a failed read on. */
  energyJoules: number | null;
  /** Mean power since the previous reading; null at the first and around a failed read. */
  powerWatts: number | null;
}

/** The rows of cpu_timeseries.parquet: every reading of every domain, oldest first. */
export function cpuTimeseriesRows(
  domains: readonly CpuDomain[],
  readings: readonly CpuReading[],
): CpuTimeseriesRow[] {
  const rows: CpuTimeseriesRow[] = [];
  domains.forEach((domain, d) => {
    const row = (reading: CpuReading, energy: number | null, power: number | null) =>
      rows.push({
        timeSeconds: reading.timeSeconds,
        domain: domain.id,
        name: domain.name,
        socket: domain.socket,
        energyJoules: energy,
        powerWatts: power,
      });
    // Cumulative from the first reading; once a read fails, the count is lost for the rest of the run.
    let energy: number | null = (readings[0]?.joules[d] ?? null) === null ? null : 0;
    readings.forEach((reading, i) => {
      if (i === 0) {
        row(reading, energy, null);
        return;
      }
      const previous = readings[i - 1]!;
      const step = stepOf(domain, { from: previous.joules[d], to: reading.joules[d] });
      energy = energy === null || step === null ? null : energy + step;
      const seconds = reading.timeSeconds - previous.timeSeconds;
      row(reading, energy, step === null || seconds <= 0 ? null : step / seconds);
    });
  });
  return rows.sort((a, b) => a.timeSeconds - b.timeSeconds);
}

function stepOf(
  domain: CpuDomain,
  values: { from: number | null | undefined; to: number | null | undefined },
): number | null {
  const { from, to } = values;
  if (from === null || from === undefined || to === null || to === undefined) return null;
  return wrappedStep(from, { to, wrapJoules: domain.wrapJoules });
}
