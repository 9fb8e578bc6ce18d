import { integratePower, type PowerSample } from "./integrate_power.ts";

/** The sample fields slice energy needs, on the same clock as the window edges. */
export interface SliceSample {
  timeSeconds: number;
  /** Cumulative energy counter, joules; null where the GPU has none or the read failed. */
  energyJoules: number | null;
  powerWatts: number | null;
}

/** How the sampled parts of a slice were measured. */
export type SliceEdgeSource = "energy_counter_samples" | "power_samples";

/**
 * What a slice's energy rests on: `window` (the slice is the window: its edge counter reads),
 * `window_minus_edges` (the window's figure less the sampled stretches between the window's edges and
 * the slice's), `samples` (from samples alone, when the window has no figure).
 */
export type SliceEnergyBasis = "window" | "window_minus_edges" | "samples";

/** Energy of one GPU over a slice of a measurement window, or null with the reason. */
export interface SliceEnergy {
  energyJoules: number | null;
  basis: SliceEnergyBasis | null;
  /** How the sampled stretches were measured; null when none were needed. */
  edgeSource: SliceEdgeSource | null;
  reason: string | null;
  warnings: string[];
}

interface Stretch {
  joules: number | null;
  source: SliceEdgeSource | null;
}

/**
 * The cumulative counter at time t: linear between the samples on either side (power taken as constant
 * between two samples), else the value of the nearest sample when it is within `toleranceSeconds`
 * (the energy between it and t is then missed), else null. A counter that went down between the two
 * samples (driver reload) gives null.
 */
function counterAt(samples: readonly SliceSample[], t: number, toleranceSeconds: number): number | null {
  let nearest: SliceSample | null = null;
  for (let i = 0; i < samples.length; i++) {
    const a = samples[i]!;
    const b = samples[i + 1];
    if (b && a.timeSeconds <= t && t <= b.timeSeconds) {
      if (b.energyJoules! < a.energyJoules!) return null;
      if (b.timeSeconds === a.timeSeconds) return a.energyJoules;
      return a.energyJoules! + (b.energyJoules! - a.energyJoules!) * (t - a.timeSeconds) /
          (b.timeSeconds - a.timeSeconds);
    }
    if (!nearest || Math.abs(a.timeSeconds - t) < Math.abs(nearest.timeSeconds - t)) nearest = a;
  }
  return nearest && Math.abs(nearest.timeSeconds - t) <= toleranceSeconds ? nearest.energyJoules : null;
}

/** Energy over [from, to] from the samples: the counter where it covers both ends and never went down, else integrated power. */
function stretchEnergy(
  counters: readonly SliceSample[],
  powers: readonly PowerSample[],
  from: number,
  to: number,
  toleranceSeconds: number,
): Stretch {
  if (to - from <= 0) return { joules: 0, source: null };
  const start = counterAt(counters, from, toleranceSeconds);
  const end = counterAt(counters, to, toleranceSeconds);
  const inside = counters.filter((s) => s.timeSeconds >= from && s.timeSeconds <= to);
  const monotonic = inside.every((s, i) => i === 0 || s.energyJoules! >= inside[i - 1]!.energyJoules!);
  if (start !== null && end !== null && end >= start && monotonic) {
    return { joules: end - start, source: "energy_counter_samples" };
  }
  const integrated = integratePower(powers, from, to);
  return {
    joules: integrated.energyJoules,
    source: integrated.energyJoules === null ? null : "power_samples",
  };
}

/**
 * Energy of one GPU over [startSeconds, endSeconds] inside its measurement window. Where the window has
 * a figure (its edge counter reads), the slice's energy is that figure less the stretches between the
 * window's edges and the slice's, measured from the sampler's energy-counter readings (else integrated
 * power): only the short stretches rest on samples. Without a window figure, the slice is measured from
 * samples alone. Null with the reason when neither works, never a silent zero.
 */
export function sliceEnergy(
  samples: readonly SliceSample[],
  options: {
    startSeconds: number;
    endSeconds: number;
    windowStartSeconds: number;
    windowEndSeconds: number;
    /** The whole window's energy, or null when it has none. */
    windowEnergyJoules: number | null;
    /** How far from an edge the nearest counter sample may be when no sample lies beyond it. */
    toleranceSeconds: number;
  },
): SliceEnergy {
  const { startSeconds, endSeconds, windowStartSeconds, windowEndSeconds, windowEnergyJoules } = options;
  const warnings: string[] = [];
  if (!(endSeconds > startSeconds)) {
    return { energyJoules: null, basis: null, edgeSource: null, reason: "the slice is empty", warnings };
  }
  const sorted = [...samples].sort((a, b) => a.timeSeconds - b.timeSeconds);
  const counters = sorted.filter((s) => s.energyJoules !== null);
  const powers = sorted.filter((s) => s.powerWatts !== null)
    .map((s) => ({ timeSeconds: s.timeSeconds, powerWatts: s.powerWatts! }));
  const stretch = (from: number, to: number) =>
    stretchEnergy(counters, powers, from, to, options.toleranceSeconds);
  const sourceOf = (...stretches: Stretch[]): SliceEdgeSource | null =>
    stretches.some((s) => s.source === "power_samples")
      ? "power_samples"
      : stretches.some((s) => s.source === "energy_counter_samples")
      ? "energy_counter_samples"
      : null;

  if (windowEnergyJoules !== null) {
    const lead = stretch(windowStartSeconds, Math.max(windowStartSeconds, startSeconds));
    const trail = stretch(Math.min(windowEndSeconds, endSeconds), windowEndSeconds);
    if (lead.joules !== null && trail.joules !== null) {
      const edgeSource = sourceOf(lead, trail);
      let energy = windowEnergyJoules - lead.joules - trail.joules;
      if (energy < 0) {
        warnings.push(
          `the sampled stretches outside the slice (${
            (lead.joules + trail.joules).toFixed(3)
          } J) exceed the ` +
            `window's energy (${windowEnergyJoules.toFixed(3)} J): slice energy floored at 0`,
        );
        energy = 0;
      }
      return {
        energyJoules: energy,
        basis: edgeSource === null ? "window" : "window_minus_edges",
        edgeSource,
        reason: null,
        warnings,
      };
    }
  }
  const direct = stretch(startSeconds, endSeconds);
  if (direct.joules !== null) {
    if (windowEnergyJoules !== null) {
      warnings.push(
        "the slice's edges could not be placed against the window's counter reads: slice energy from samples alone",
      );
    }
    return {
      energyJoules: direct.joules,
      basis: "samples",
      edgeSource: direct.source,
      reason: null,
      warnings,
    };
  }
  return {
    energyJoules: null,
    basis: null,
    edgeSource: null,
    reason:
      "no energy-counter samples at both edges (or the counter reset between them) and no power samples covering the slice",
    warnings,
  };
}
