/** One read of a GPU's cumulative energy counter, on the host's monotonic clock. */
export interface CounterReading {
  /** Host monotonic time of the read, seconds. */
  timeSeconds: number;
  /** Counter value, joules since the driver loaded. */
  energyJoules: number;
}

/** Energy over a window from counter reads at its edges, or null with the reason. */
export interface CounterEnergy {
  energyJoules: number | null;
  durationSeconds: number;
  /** Why energyJoules is null, when it is. */
  reason: string | null;
  warnings: string[];
}

/** Windows shorter than this many counter updates get a warning: the counter's step is a large share. */
export const MIN_COUNTER_UPDATES_PER_WINDOW = 10;

/**
 * Energy between two counter reads: their difference. A counter that went backwards (the driver was
 * reloaded and the counter restarted) gives null, never a negative or a silent zero.
 */
export function counterEnergy(
  start: CounterReading,
  end: CounterReading,
  options: { updatePeriodSeconds?: number } = {},
): CounterEnergy {
  const durationSeconds = end.timeSeconds - start.timeSeconds;
  const warnings: string[] = [];
  if (!(durationSeconds > 0)) {
    return { energyJoules: null, durationSeconds, reason: "the window has no duration", warnings };
  }
  const energyJoules = end.energyJoules - start.energyJoules;
  if (energyJoules < 0) {
    return {
      energyJoules: null,
      durationSeconds,
      reason: `the energy counter went backwards by ${(-energyJoules).toFixed(3)} J (driver reloaded?)`,
      warnings,
    };
  }
  const period = options.updatePeriodSeconds;
  if (period !== undefined && period > 0 && durationSeconds < MIN_COUNTER_UPDATES_PER_WINDOW * period) {
    warnings.push(
      `window of ${
        durationSeconds.toFixed(3)
      } s spans fewer than ${MIN_COUNTER_UPDATES_PER_WINDOW} energy counter ` +
        `updates (${(period * 1000).toFixed(0)} ms each): expect up to ${
          (100 * period / durationSeconds).toFixed(1)
        }% error`,
    );
  }
  // NVML counts whole millijoules: keep the difference at that resolution, without the float noise of
  // subtracting two large joule values (1000948.5 - 1000905.1 = 43.399999999999636).
  return { energyJoules: Math.round(energyJoules * 1000) / 1000, durationSeconds, reason: null, warnings };
}
