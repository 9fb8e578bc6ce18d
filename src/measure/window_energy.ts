import { type CounterEnergy, counterEnergy, type CounterReading } from "./counter_energy.ts";
import { integratePower, type PowerSample } from "./integrate_power.ts";

/** How a window's energy figure was obtained. */
export type EnergyMethod = "nvml_energy_counter" | "power_integration";

/** One GPU's energy over a measurement window, both methods side by side. */
export interface GpuWindowEnergy {
  /** The headline figure: the counter where it works, else integrated power; null when neither does. */
  energyJoules: number | null;
  method: EnergyMethod | null;
  counterEnergyJoules: number | null;
  integratedEnergyJoules: number | null;
  /** |counter - integrated| / counter, when both exist. */
  disagreementFraction: number | null;
  durationSeconds: number;
  sampleCount: number;
  warnings: string[];
}

/** Disagreement between the two methods above which a warning is raised. */
export const DISAGREEMENT_WARNING_FRACTION = 0.05;
/** Fewer power samples than this inside a window gets a warning. */
export const MIN_SAMPLES_PER_WINDOW = 10;

/**
 * Energy of one GPU over [start, end]: the counter difference at the edges and the trapezoidal
 * integral of the power samples, compared. Energy is a number with its method, or null with a warning
 * saying why: never a silent zero.
 */
export function windowEnergy(options: {
  startSeconds: number;
  endSeconds: number;
  counterStart?: CounterReading | null;
  counterEnd?: CounterReading | null;
  /** How often the counter updates, when known (counterUpdatePeriod()): a short window is then a warning. */
  counterUpdatePeriodSeconds?: number | null;
  powerSamples?: readonly PowerSample[];
  /** The config chose integrated power (`energy_source: power`): the counter was not read, by choice. */
  integrationChosen?: boolean;
}): GpuWindowEnergy {
  const warnings: string[] = [];
  const durationSeconds = options.endSeconds - options.startSeconds;
  let counter: CounterEnergy | null = null;
  if (options.counterStart && options.counterEnd) {
    counter = counterEnergy(options.counterStart, options.counterEnd, {
      ...(typeof options.counterUpdatePeriodSeconds === "number"
        ? { updatePeriodSeconds: options.counterUpdatePeriodSeconds }
        : {}),
    });
    warnings.push(...counter.warnings);
    if (counter.reason) warnings.push(`energy counter unusable: ${counter.reason}`);
  }
  const samples = options.powerSamples ?? [];
  const integrated = integratePower(samples, options.startSeconds, options.endSeconds);
  if (samples.length > 0 && integrated.sampleCount < MIN_SAMPLES_PER_WINDOW) {
    warnings.push(
      `only ${integrated.sampleCount} power samples inside the window; the timeseries is coarse for its length`,
    );
  }
  const counterJoules = counter?.energyJoules ?? null;
  const integratedJoules = integrated.energyJoules;
  let disagreement: number | null = null;
  if (counterJoules !== null && integratedJoules !== null && counterJoules > 0) {
    disagreement = Math.abs(counterJoules - integratedJoules) / counterJoules;
    if (disagreement > DISAGREEMENT_WARNING_FRACTION) {
      warnings.push(
        `energy counter (${counterJoules.toFixed(2)} J) and integrated power (${
          integratedJoules.toFixed(2)
        } J) ` +
          `disagree by ${(100 * disagreement).toFixed(1)}%`,
      );
    }
  }
  const method: EnergyMethod | null = counterJoules !== null
    ? "nvml_energy_counter"
    : integratedJoules !== null
    ? "power_integration"
    : null;
  // Why the counter gave nothing: chosen away by the config, unusable (its reason), or absent.
  const noCounter = options.integrationChosen
    ? "measurement.energy_source: power does not read the energy counter"
    : counter?.reason ?? "this GPU has no energy counter";
  if (method === null) {
    warnings.push(`no energy for this window: ${noCounter}; ${integrated.reason ?? "no samples"}`);
  } else if (method === "power_integration" && options.integrationChosen) {
    warnings.push("energy from integrated power samples, as measurement.energy_source: power asks");
  } else if (method === "power_integration" && counter === null) {
    warnings.push("energy from integrated power samples: this GPU has no energy counter");
  }
  return {
    energyJoules: counterJoules ?? integratedJoules,
    method,
    counterEnergyJoules: counterJoules,
    integratedEnergyJoules: integratedJoules,
    disagreementFraction: disagreement,
    durationSeconds,
    sampleCount: integrated.sampleCount,
    warnings,
  };
}
