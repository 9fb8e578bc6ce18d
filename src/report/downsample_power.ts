import { THROTTLE_REASONS } from "../measure/throttle_summary.ts";
import type { PowerSeries } from "./report_charts.ts";

/** Any of the clock event reasons that slow a GPU down (power cap, slowdowns, thermal, power brake). */
const THROTTLE_MASK = Object.values(THROTTLE_REASONS).reduce((mask, bit) => mask | bit, 0n);

/** Buckets of a run's power series: enough for a chart, few enough for an SVG of many runs. */
const BUCKETS = 200;

/**
 * A run's GPU samples (timeseries.parquet rows: t, power_w, phase, clock_event_reasons) as at most 200 time
 * buckets from its first sample, each with the min, mean and max power, the phase most of its samples had
 * and whether any was throttled; and the measurement window's edges (its first and last sample).
 */
export function downsamplePower(run: string, samples: readonly Record<string, unknown>[]): PowerSeries {
  const points = samples.flatMap((s) =>
    typeof s.t === "number" && typeof s.power_w === "number"
      ? [{
        t: s.t,
        power: s.power_w,
        phase: String(s.phase ?? ""),
        throttled: isThrottled(s.clock_event_reasons),
      }]
      : []
  ).sort((a, b) => a.t - b.t);
  if (points.length === 0) return { run, points: [], window: null };
  const start = points[0]!.t;
  const span = Math.max(points.at(-1)!.t - start, 1e-9);
  const buckets = new Map<
    number,
    { min: number; max: number; sum: number; n: number; window: number; throttled: boolean }
  >();
  for (const point of points) {
    const key = Math.min(BUCKETS - 1, Math.floor((point.t - start) / span * BUCKETS));
    const bucket = buckets.get(key) ??
      { min: Infinity, max: -Infinity, sum: 0, n: 0, window: 0, throttled: false };
    bucket.min = Math.min(bucket.min, point.power);
    bucket.max = Math.max(bucket.max, point.power);
    bucket.sum += point.power;
    bucket.n += 1;
    if (point.phase === "measure") bucket.window += 1;
    bucket.throttled ||= point.throttled;
    buckets.set(key, bucket);
  }
  return {
    run,
    points: [...buckets.entries()].sort(([a], [b]) => a - b).map(([key, b]) => ({
      t: (key + 0.5) * span / BUCKETS,
      min: b.min,
      mean: b.sum / b.n,
      max: b.max,
      phase: b.window * 2 >= b.n ? "measure" : "other",
      throttled: b.throttled,
    })),
    window: windowEdges(points, start),
  };
}

/** The measurement window's first and last sample, from the run's first sample; null without one. */
function windowEdges(points: readonly { t: number; phase: string }[], start: number): PowerSeries["window"] {
  const inside = points.filter((point) => point.phase === "measure");
  return inside.length ? { start: inside[0]!.t - start, end: inside.at(-1)!.t - start } : null;
}

function isThrottled(reasons: unknown): boolean {
  if (typeof reasons !== "bigint" && typeof reasons !== "number") return false;
  return (BigInt(reasons) & THROTTLE_MASK) !== 0n;
}
