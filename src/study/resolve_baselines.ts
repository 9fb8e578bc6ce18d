import { baselineShortfall } from "../measure/baseline_shortfall.ts";
import { baselineStillValid, idlePower, type IdleSample } from "../measure/idle_power.ts";
import {
  baselineAgeSeconds,
  type CachedBaseline,
  readCachedBaseline,
  writeCachedBaseline,
} from "./baseline_cache.ts";
import { throwIfInterrupted } from "./interrupted.ts";

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
  /** Sample the GPUs for `seconds` while nothing runs; samples by UUID. Throws when cut short by an error. */
  measure(uuids: string[], seconds: number): Promise<Map<string, BaselineSample[]>>;
  /** Told before each measurement (what, how long), for progress output. */
  onMeasure?(kind: "spot_check" | "full", uuids: string[], seconds: number): void;
  nowMs?(): number;
  /** Ctrl-C: once aborted, a measurement that ended is not used, and nothing is cached (Interrupted). */
  signal?: AbortSignal;
}

/**
 * Bare-idle power per GPU: a cached value younger than the TTL is re-validated by a short spot check and
 * kept unless it drifted; anything else is measured for the full duration and cached per UUID, provided
 * the measurement is complete (its samples cover the planned duration, and it was not interrupted).
 */
export async function resolveBaselines(
  gpus: readonly { uuid: string; name: string }[],
  policy: BaselinePolicy,
): Promise<BaselineOutcome[]> {
  const now = policy.nowMs ?? Date.now;
  const toMeasure: string[] = [];
  const cached = new Map<string, CachedBaseline>();
  for (const { uuid } of gpus) {
    const entry = policy.force ? null : readCachedBaseline(policy.cacheDir, uuid);
    if (entry && baselineAgeSeconds(entry, now()) <= policy.ttlSeconds) cached.set(uuid, entry);
    else toMeasure.push(uuid);
  }
  const outcomes = cached.size > 0 ? await spotCheck(cached, { policy, toMeasure }) : [];
  if (toMeasure.length > 0) outcomes.push(...await measureAndCache(gpus, { policy, toMeasure }));
  const order = gpus.map((g) => g.uuid);
  return outcomes.sort((a, b) => order.indexOf(a.uuid) - order.indexOf(b.uuid));
}

/** Spot-check cached baselines: those that still hold, as outcomes; the others join `toMeasure`. */
async function spotCheck(
  cached: Map<string, CachedBaseline>,
  work: { policy: BaselinePolicy; toMeasure: string[] },
): Promise<BaselineOutcome[]> {
  const { policy } = work;
  const now = policy.nowMs ?? Date.now;
  policy.onMeasure?.("spot_check", [...cached.keys()], policy.spotCheckSeconds);
  const spot = await policy.measure([...cached.keys()], policy.spotCheckSeconds);
  if (policy.signal) throwIfInterrupted(policy.signal);
  const outcomes: BaselineOutcome[] = [];
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
    } else work.toMeasure.push(uuid);
  }
  return outcomes;
}

/** Measure `toMeasure` for the full duration; cache each GPU's figure when its measurement is complete. */
async function measureAndCache(
  gpus: readonly { uuid: string; name: string }[],
  work: { policy: BaselinePolicy; toMeasure: string[] },
): Promise<BaselineOutcome[]> {
  const { policy, toMeasure } = work;
  const now = policy.nowMs ?? Date.now;
  policy.onMeasure?.("full", toMeasure, policy.durationSeconds);
  const measured = await policy.measure(toMeasure, policy.durationSeconds);
  // A baseline cut short by Ctrl-C is no baseline, however complete its samples look.
  if (policy.signal) throwIfInterrupted(policy.signal);
  return toMeasure.map((uuid) => {
    const samples = measured.get(uuid) ?? [];
    const result = idlePower(samples);
    const name = gpus.find((g) => g.uuid === uuid)?.name ?? "";
    const warnings = [...result.warnings];
    const shortfall = baselineShortfall(samples, policy.durationSeconds);
    if (shortfall !== null && result.powerWatts !== null) warnings.push(`not cached: ${shortfall}`);
    if (shortfall === null && result.powerWatts !== null && result.method !== null) {
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
    return {
      uuid,
      name,
      status: "measured" as const,
      powerWatts: result.powerWatts,
      method: result.method,
      ageSeconds: 0,
      spotCheckWatts: null,
      temperatureCelsius: meanTemperature(samples),
      warnings,
    };
  });
}

function meanTemperature(samples: readonly BaselineSample[]): number | null {
  const values = samples.flatMap((s) => (s.temperatureCelsius === null ? [] : [s.temperatureCelsius]));
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
