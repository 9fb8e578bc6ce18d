import {
  type SliceEdgeSource,
  sliceEnergy,
  type SliceEnergyBasis,
  type SliceSample,
} from "./slice_energy.ts";
import { detectSteadyOnsetAll } from "./detect_steady_onset.ts";
import { type SliceTokenRequest, sliceTokens, type TokenAttribution } from "./slice_tokens.ts";

/** Which slice of the window the headline metrics cover (config `measurement.methodology`). */
export type Methodology = "total" | "steady_state" | "windowed";

/** One GPU's window: its energy from the edge reads, and its samples, seconds since the window opened. */
export interface MeasuredSliceGpu {
  windowEnergyJoules: number | null;
  samples: readonly SliceSample[];
}

/** The slice the headline metrics cover, its energy per GPU and its output tokens. */
export interface MeasuredSlice {
  /** What was measured: the methodology asked for, or `total` when it could not be honoured (see warnings). */
  methodology: Methodology;
  /** Seconds since the window opened. */
  startSeconds: number;
  endSeconds: number;
  durationSeconds: number;
  /** Per GPU, in the order given; null where not measurable (only possible for methodology total). */
  energyJoules: (number | null)[];
  energyBasis: (SliceEnergyBasis | null)[];
  edgeSource: SliceEdgeSource | null;
  /** Output tokens in the slice; fractional where attributed proportionally. */
  outputTokens: number;
  /** `all_requests` for the whole window, else how tokens were placed in the slice. */
  tokenAttribution: TokenAttribution | "all_requests";
  /** How a steady_state slice's start was chosen; null for the other methodologies. */
  steadyStateOnset: "discard_fraction" | "detected" | null;
  warnings: string[];
}

/**
 * The slice of a measurement window that the headline metrics cover: `total` is the whole window;
 * `steady_state` drops the ramp-up at its start (first prefills, clocks and power rising): up to the onset
 * found in the power trace with `detectOnset` (see detectSteadyOnset), else, or when none is found (a
 * warning says why), the leading `discardFraction` of it; `windowed` is `windowSeconds` [start, end] after the window opened, clipped to the window.
 * A slice that cannot be honoured (no window_seconds, a window outside the run, or energy not measurable
 * over the slice on some GPU) falls back to the whole window, and says why in the warnings.
 */
export function measuredSlice(options: {
  methodology: Methodology;
  windowDurationSeconds: number;
  discardFraction: number;
  /** steady_state: find the onset in the GPUs' power samples, falling back to discardFraction. */
  detectOnset?: boolean;
  windowSeconds: readonly [number, number] | null;
  gpus: readonly MeasuredSliceGpu[];
  /** Request times in seconds since the window opened. */
  requests: readonly SliceTokenRequest[];
  /** Sampling interval: how far an edge's nearest counter sample may be when no sample lies beyond it. */
  sampleIntervalSeconds: number;
}): MeasuredSlice {
  const duration = options.windowDurationSeconds;
  const warnings: string[] = [];
  const whole = (): MeasuredSlice => ({
    methodology: "total",
    startSeconds: 0,
    endSeconds: duration,
    durationSeconds: duration,
    energyJoules: options.gpus.map((g) => g.windowEnergyJoules),
    energyBasis: options.gpus.map((g) => (g.windowEnergyJoules === null ? null : "window")),
    edgeSource: null,
    outputTokens: options.requests.reduce((sum, r) => sum + r.output_tokens, 0),
    tokenAttribution: "all_requests",
    steadyStateOnset: null,
    warnings,
  });
  let start: number;
  let end: number;
  if (options.methodology === "total") return whole();
  let onset: MeasuredSlice["steadyStateOnset"] = null;
  if (options.methodology === "steady_state") {
    start = options.discardFraction * duration;
    end = duration;
    onset = "discard_fraction";
    if (options.detectOnset) {
      const found = detectSteadyOnsetAll(options.gpus.map((g) => g.samples), duration);
      if ("onsetSeconds" in found) {
        start = found.onsetSeconds;
        onset = "detected";
      } else {
        warnings.push(
          `steady_state_not_detected: ${found.reason}; the leading ${
            options.discardFraction * 100
          }% of the window was discarded instead`,
        );
      }
    }
  } else {
    if (!options.windowSeconds) {
      warnings.push("methodology windowed without measurement.window_seconds: the whole window is reported");
      return whole();
    }
    [start, end] = options.windowSeconds;
    if (end > duration) {
      warnings.push(
        `window_seconds [${start}, ${end}] reaches past the end of the run (${duration.toFixed(3)} s): ` +
          `clipped to ${duration.toFixed(3)} s`,
      );
      end = duration;
    }
    if (!(end > start)) {
      warnings.push(
        `window_seconds [${options.windowSeconds.join(", ")}] lies outside the run (${
          duration.toFixed(3)
        } s): the whole window is reported`,
      );
      return whole();
    }
  }
  const energies = options.gpus.map((gpu) =>
    sliceEnergy(gpu.samples, {
      startSeconds: start,
      endSeconds: end,
      windowStartSeconds: 0,
      windowEndSeconds: duration,
      windowEnergyJoules: gpu.windowEnergyJoules,
      toleranceSeconds: options.sampleIntervalSeconds,
    })
  );
  const failed = energies.findIndex((e) => e.energyJoules === null);
  if (failed >= 0) {
    warnings.push(
      `${options.methodology} slice [${start.toFixed(3)}, ${end.toFixed(3)}] s not measurable on GPU ` +
        `#${failed} (${energies[failed]!.reason}): the whole window is reported`,
    );
    return whole();
  }
  for (const e of energies) warnings.push(...e.warnings);
  const tokens = sliceTokens(options.requests, start, end);
  const sources = energies.map((e) => e.edgeSource);
  return {
    methodology: options.methodology,
    startSeconds: start,
    endSeconds: end,
    durationSeconds: end - start,
    energyJoules: energies.map((e) => e.energyJoules),
    energyBasis: energies.map((e) => e.basis),
    edgeSource: sources.includes("power_samples")
      ? "power_samples"
      : sources.includes("energy_counter_samples")
      ? "energy_counter_samples"
      : null,
    outputTokens: tokens.outputTokens,
    // No requests: nothing to place, and counting them all gives the same 0.
    tokenAttribution: tokens.attribution ?? "all_requests",
    steadyStateOnset: onset,
    warnings,
  };
}
