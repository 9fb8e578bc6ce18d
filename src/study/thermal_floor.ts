import type { ThermalFloorRecord } from "../results/experiment_measurement.ts";

/** The thermal floor settings of an experiment (measurement.thermal_floor). */
export interface ThermalFloorSettings {
  enabled: boolean;
  min_seconds: number;
  max_seconds: number;
  margin_celsius: number;
}

/** What the thermal floor watches and waits with. */
export interface ThermalFloorWatch {
  /** The reference: the idle temperature (null if unknown, when only the minimum wait applies). */
  idleCelsius: number | null;
  /** The hottest GPU's temperature now (null if unreadable). */
  readTemperature: () => number | null;
  clock: { nowSeconds(): number; sleep(seconds: number, signal?: AbortSignal): Promise<void> };
  /** Aborting it ends the wait early. */
  signal?: AbortSignal;
}

/**
 * Wait before a window until every GPU is within `margin` of its idle temperature: at least min_seconds,
 * at most max_seconds, checking once a second.
 */
export async function waitForThermalFloor(
  settings: ThermalFloorSettings,
  watch: ThermalFloorWatch,
): Promise<ThermalFloorRecord | null> {
  if (!settings.enabled) return null;
  const { idleCelsius, readTemperature, clock, signal } = watch;
  const started = clock.nowSeconds();
  const startTemperature = readTemperature();
  const target = idleCelsius === null ? null : idleCelsius + settings.margin_celsius;
  let temperature = startTemperature;
  for (;;) {
    const waited = clock.nowSeconds() - started;
    const cool = target === null || (temperature !== null && temperature <= target);
    if ((cool && waited >= settings.min_seconds) || waited >= settings.max_seconds || signal?.aborted) {
      return {
        waitedSeconds: waited,
        startTemperatureCelsius: startTemperature,
        endTemperatureCelsius: temperature,
        targetTemperatureCelsius: target,
        reached: cool,
      };
    }
    const remainingMin = settings.min_seconds - waited;
    const step = Math.min(cool ? remainingMin : 1, settings.max_seconds - waited);
    await clock.sleep(Math.max(step, 0.001), signal);
    temperature = readTemperature();
  }
}
