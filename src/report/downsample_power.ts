import type { PowerSeries } from "./report_charts.ts";

/** Buckets of a run's power series: enough for a chart, few enough for an SVG of many runs. */
const BUCKETS = 200;

/**
 * A run's GPU samples (timeseries.parquet rows: t, power_w, phase) as at most 200 time buckets from its
 * first sample, each with the min, mean and max power and the phase most of its samples had.
 */
export function downsamplePower(run: string, samples: readonly Record<string, unknown>[]): PowerSeries {
  const points = samples.flatMap((s) =>
    typeof s.t === "number" && typeof s.power_w === "number"
      ? [{ t: s.t, power: s.power_w, phase: String(s.phase ?? "") }]
      : []
  ).sort((a, b) => a.t - b.t);
  if (points.length === 0) return { run, points: [] };
  const start = points[0]!.t;
  const span = Math.max(points.at(-1)!.t - start, 1e-9);
  const buckets = new Map<number, { min: number; max: number; sum: number; n: number; window: number }>();
  for (const point of points) {
    const key = Math.min(BUCKETS - 1, Math.floor((point.t - start) / span * BUCKETS));
    const bucket = buckets.get(key) ?? { min: Infinity, max: -Infinity, sum: 0, n: 0, window: 0 };
    bucket.min = Math.min(bucket.min, point.power);
    bucket.max = Math.max(bucket.max, point.power);
    bucket.sum += point.power;
    bucket.n += 1;
    if (point.phase === "measure") bucket.window += 1;
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
    })),
  };
}
