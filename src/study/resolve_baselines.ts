import { baselineStillValid, idlePower, type IdleSample } from "../measure/idle_power.ts";
import {
  baselineAgeSeconds,
  type CachedBaseline,
  readCachedBaseline,
  writeCachedBaseline,
} from "./baseline_cache.ts";

/** One GPU's bare-idle baseline, and where it came from. */
export interface BaselineOutcome {
  uuid: string;
  name: string;
  status: "measured" | "cached";
  powerWatts: number | null;
  method: "energy_counter" | "mean_power_samples" | null;
  ageSeconds: number;
  spotCheckWatts: number | null;
  /** Mean temperature while idle, when measured now (the thermal floor's reference). */
  temperatureCelsius: number | null;
  warnings: string[];
}

/** Samples a baseline needs: idle power's, plus temperature. */
export interface BaselineSample extends IdleSample {
  temperatureCelsius: number | null;
}

/** How to obtain baselines: the cache policy and a way to sample idle GPUs. */
export interface BaselinePolicy {
  cacheDir: string;
  /** Ignore the cache and measure afresh. */
  force: boolean;
  ttlSeconds: number;
  driftFraction: number;
  durationSeconds: number;
  spotCheckSeconds: number;
  driverVersion: string;
  /** Sample the GPUs for `seconds` while nothing runs; samples by UUID. */
  measure(uuids: string[], seconds: number): Promise<Map<string, BaselineSample[]>>;
  /** Told before each measurement (what, how long), for progress output. */
  onMeasure?(kind: "spot_check" | "full", uuids: string[], seconds: number): void;
  nowMs?(): number;
}

/**
 * Bare-idle power per GPU: a cached value younger than the TTL is re-validated by a short spot check and
 * kept unless it drifted; anything else is measured for the full duration and cached per UUID.
 */
export async function resolveBaselines(
  gpus: readonly { uuid: string; name: string }[],
  policy: BaselinePolicy,
): Promise<BaselineOutcome[]> {
  const now = policy.nowMs ?? Date.now;
  const outcomes: BaselineOutcome[] = [];
  const toMeasure: string[] = [];
  const cached = new Map<string, CachedBaseline>();
  for (const { uuid } of gpus) {
    const entry = policy.force ? null : readCachedBaseline(policy.cacheDir, uuid);
    if (entry && baselineAgeSeconds(entry, now()) <= policy.ttlSeconds) cached.set(uuid, entry);
    else toMeasure.push(uuid);
  }
  if (cached.size > 0) {
    policy.onMeasure?.("spot_check", [...cached.keys()], policy.spotCheckSeconds);
    const spot = await policy.measure([...cached.keys()], policy.spotCheckSeconds);
    for (const [uuid, entry] of cached) {
      const samples = spot.get(uuid) ?? [];
      const check = idlePower(samples);
      if (
        check.powerWatts !== null &&
        baselineStillValid(entry.powerWatts, check.powerWatts, policy.driftFraction)
      ) {
        outcomes.push({
          uuid,
          name: entry.gpuName,
          status: "cached",
          powerWatts: entry.powerWatts,
          method: entry.method,
          ageSeconds: baselineAgeSeconds(entry, now()),
          spotCheckWatts: check.powerWatts,
          temperatureCelsius: meanTemperature(samples),
          warnings: check.warnings,
        });
      } else toMeasure.push(uuid);
    }
  }
  if (toMeasure.length > 0) {
    policy.onMeasure?.("full", toMeasure, policy.durationSeconds);
    const measured = await policy.measure(toMeasure, policy.durationSeconds);
    for (const uuid of toMeasure) {
      const samples = measured.get(uuid) ?? [];
      const result = idlePower(samples);
      const name = gpus.find((g) => g.uuid === uuid)?.name ?? "";
      if (result.powerWatts !== null && result.method !== null) {
        writeCachedBaseline(policy.cacheDir, {
          uuid,
          gpuName: name,
          powerWatts: result.powerWatts,
          method: result.method,
          measuredAt: new Date(now()).toISOString(),
          durationSeconds: result.durationSeconds,
          sampleCount: result.sampleCount,
          driverVersion: policy.driverVersion,
        });
      }
      outcomes.push({
        uuid,
        name,
        status: "measured",
        powerWatts: result.powerWatts,
        method: result.method,
        ageSeconds: 0,
        spotCheckWatts: null,
        temperatureCelsius: meanTemperature(samples),
        warnings: result.warnings,
      });
    }
  }
  const order = gpus.map((g) => g.uuid);
  return outcomes.sort((a, b) => order.indexOf(a.uuid) - order.indexOf(b.uuid));
}

function meanTemperature(samples: readonly BaselineSample[]): number | null {
  const values = samples.flatMap((s) => (s.temperatureCelsius === null ? [] : [s.temperatureCelsius]));
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
