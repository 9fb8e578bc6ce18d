import { maxOf } from "./max_of.ts";

/** Clock-event (throttle) reason bits llem reports, from NVML's nvmlClocksEventReason* / *ThrottleReason*. */
export const THROTTLE_REASONS = {
  power_cap: 0x4n,
  hardware_slowdown: 0x8n,
  thermal_software: 0x20n,
  thermal_hardware: 0x40n,
  power_brake: 0x80n,
} as const;

/** One reason's share of a window. */
export interface ThrottleReasonSummary {
  /** Time with the reason set (sample-and-hold between samples). */
  durationSeconds: number;
  firstSeconds: number;
  lastSeconds: number;
}

/** Throttling and temperature over a window. */
export interface ThrottleSummary {
  throttled: boolean;
  reasons: Partial<Record<keyof typeof THROTTLE_REASONS, ThrottleReasonSummary>>;
  temperatureStartCelsius: number | null;
  temperatureEndCelsius: number | null;
  temperatureMaxCelsius: number | null;
}

/** The sample fields a throttle summary needs. */
export interface ThrottleSample {
  timeSeconds: number;
  clockEventReasons: bigint | null;
  temperatureCelsius: number | null;
}

/**
 * Which throttle reasons were active in [startSeconds, endSeconds], for how long and when; each sample's
 * bits are held until the next sample. Samples must be in time order.
 */
export function throttleSummary(
  samples: readonly ThrottleSample[],
  startSeconds: number,
  endSeconds: number,
): ThrottleSummary {
  const inside = samples.filter((s) => s.timeSeconds >= startSeconds && s.timeSeconds <= endSeconds);
  const reasons: ThrottleSummary["reasons"] = {};
  for (let i = 0; i < inside.length; i++) {
    const sample = inside[i]!;
    if (sample.clockEventReasons === null) continue;
    const until = inside[i + 1]?.timeSeconds ?? endSeconds;
    for (const [name, bit] of Object.entries(THROTTLE_REASONS) as [keyof typeof THROTTLE_REASONS, bigint][]) {
      if ((sample.clockEventReasons & bit) === 0n) continue;
      const entry = reasons[name] ??= {
        durationSeconds: 0,
        firstSeconds: sample.timeSeconds,
        lastSeconds: 0,
      };
      entry.durationSeconds += until - sample.timeSeconds;
      entry.lastSeconds = sample.timeSeconds;
    }
  }
  const temperatures = inside.map((s) => s.temperatureCelsius).filter((t): t is number => t !== null);
  return {
    throttled: Object.keys(reasons).length > 0,
    reasons,
    temperatureStartCelsius: temperatures[0] ?? null,
    temperatureEndCelsius: temperatures.at(-1) ?? null,
    temperatureMaxCelsius: maxOf(temperatures),
  };
}
