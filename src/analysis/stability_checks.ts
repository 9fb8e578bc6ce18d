/** What the stability checks read of a result.json (schema 4.0). */
export interface StabilityInput {
  energy_breakdown: {
    window_energy_j: number;
    window_duration_s: number;
    idle_baseline_power_w: number | null;
    max_disagreement_fraction: number | null;
    adjustment_floored: boolean;
  } | null;
  thermal_throttle: {
    throttle_detected: boolean;
    throttle_duration_sec: number;
    reasons?: Partial<Record<string, { duration_s: number }>>;
    max_temperature_c: number | null;
  } | null;
  environment?: {
    gpus: readonly { enforced_power_limit_w: number | null; power_limit_w: number | null }[];
    /** Set by llem demo: the run was simulated, not measured. */
    simulated?: string;
  } | null;
}

/** One check of a run that failed, and why. */
export interface FailedCheck {
  check: string;
  reason: string;
}

/**
 * The thresholds, after ML.ENERGY's validation and MLPerf Power's rules in spirit: a window long enough
 * for the energy counter and the engine to settle; mean power between idle and the board's limit (a
 * little margin each side for sampling); a temperature a GPU can have; no throttling in the window;
 * the energy counter and the integrated power agreeing.
 */
export const STABILITY_LIMITS = {
  /** Shortest window, seconds. */
  minWindowSeconds: 10,
  /** Mean power may be this fraction below idle, or above the power limit. */
  powerMargin: 0.05,
  /** Sane temperatures, °C. */
  temperatureRange: [5, 95] as const,
  /** Largest |counter − integral| / counter. */
  maxDisagreement: 0.05,
} as const;

/** Every check a run fails (empty when it is stable), each with its reason; never a silent drop. */
export function stabilityChecks(result: StabilityInput): FailedCheck[] {
  const failed: FailedCheck[] = [];
  if (result.environment?.simulated) {
    // Nothing of a simulated run may be published, however stable its numbers look.
    failed.push({ check: "simulated", reason: `simulated, not measured (${result.environment.simulated})` });
  }
  const energy = result.energy_breakdown;
  const limits = STABILITY_LIMITS;
  if (!energy) return [...failed, { check: "energy", reason: "the run has no energy breakdown" }];
  if (energy.window_duration_s < limits.minWindowSeconds) {
    failed.push({
      check: "window_length",
      reason: `window of ${energy.window_duration_s.toFixed(2)} s, under ${limits.minWindowSeconds} s`,
    });
  }
  failed.push(...powerChecks(result, energy));
  const thermal = result.thermal_throttle;
  const temperature = thermal?.max_temperature_c ?? null;
  const [low, high] = limits.temperatureRange;
  if (temperature !== null && (temperature < low || temperature > high)) {
    failed.push({ check: "temperature", reason: `peak ${temperature} °C, outside ${low}-${high} °C` });
  }
  if (thermal?.throttle_detected) {
    const reasons = Object.keys(thermal.reasons ?? {}).join(", ") || "throttled";
    failed.push({
      check: "throttling",
      reason: `${reasons} for ${thermal.throttle_duration_sec.toFixed(2)} s of the window`,
    });
  }
  if (
    energy.max_disagreement_fraction !== null && energy.max_disagreement_fraction > limits.maxDisagreement
  ) {
    failed.push({
      check: "counter_vs_integral",
      reason: `energy counter and integrated power differ by ${
        (energy.max_disagreement_fraction * 100).toFixed(1)
      }%`,
    });
  }
  if (energy.adjustment_floored) {
    failed.push({
      check: "baseline",
      reason: "the adjusted energy was floored at 0: the baseline is above the run",
    });
  }
  return failed;
}

function powerChecks(
  result: StabilityInput,
  energy: NonNullable<StabilityInput["energy_breakdown"]>,
): FailedCheck[] {
  if (energy.window_duration_s <= 0) return [];
  const power = energy.window_energy_j / energy.window_duration_s;
  const margin = STABILITY_LIMITS.powerMargin;
  const failed: FailedCheck[] = [];
  const idle = energy.idle_baseline_power_w;
  if (idle !== null && power < idle * (1 - margin)) {
    failed.push({
      check: "power_range",
      reason: `mean ${power.toFixed(1)} W, below idle ${idle.toFixed(1)} W`,
    });
  }
  const gpus = result.environment?.gpus ?? [];
  const limits = gpus.map((gpu) => gpu.enforced_power_limit_w ?? gpu.power_limit_w);
  if (gpus.length && limits.every((limit) => limit !== null)) {
    const limit = limits.reduce((sum, value) => sum! + value!, 0)!;
    if (power > limit * (1 + margin)) {
      failed.push({
        check: "power_range",
        reason: `mean ${power.toFixed(1)} W, above the power limit ${limit.toFixed(0)} W`,
      });
    }
  }
  return failed;
}
