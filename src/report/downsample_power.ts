import { THROTTLE_REASONS } from "../measure/throttle_summary.ts";
import type { PowerSeries } from "./report_charts.ts";

/** Any of the clock event reasons that slow a GPU down (power cap, slowdowns, thermal, power brake). */
const THROTTLE_MASK = Object.values(THROTTLE_REASONS).reduce((mask, bit) => mask | bit, 0n);

/** Buckets of a run's power series: enough for a chart, few enough for an SVG of many runs. */
const BUCKETS = 200;

/**
 * A run's GPU samples (timeseries.parquet rows: t, gpu_idx, power_w, phase, clock_event_reasons) as at most
 * 200 time buckets from its first sample, each with the min, mean and max power summed over the run's GPUs, the phase most of its samples had
 * and whether any was throttled; and the measurement window's edges (its first and last sample).
 */
export function downsamplePower(run: string, samples: readonly Record<string, unknown>[]): PowerSeries {
  const points = samples.flatMap((s) =>
    typeof s.t === "number" && typeof s.power_w === "number"
      ? [{
        t: s.t,
        gpu: Number(s.gpu_idx ?? 0),
        power: s.power_w,
        phase: String(s.phase ?? ""),
        throttled: isThrottled(s.clock_event_reasons),
      }]
      : []
  ).sort((a, b) => a.t - b.t);
  if (points.length === 0) return { run, points: [], window: null };
  const start = points[0]!.t;
  const span = Math.max(points.at(-1)!.t - start, 1e-9);
  const buckets = new Map<number, Bucket>();
  for (const point of points) {
    const key = Math.min(BUCKETS - 1, Math.floor((point.t - start) / span * BUCKETS));
    const bucket = buckets.get(key) ?? { gpus: new Map(), window: 0, n: 0, throttled: false };
    const gpu = bucket.gpus.get(point.gpu) ?? { min: Infinity, max: -Infinity, sum: 0, n: 0 };
    gpu.min = Math.min(gpu.min, point.power);
    gpu.max = Math.max(gpu.max, point.power);
    gpu.sum += point.power;
    gpu.n += 1;
    bucket.gpus.set(point.gpu, gpu);
    bucket.n += 1;
    if (point.phase === "measure") bucket.window += 1;
    bucket.throttled ||= point.throttled;
    buckets.set(key, bucket);
  }
  return {
    run,
    points: [...buckets.entries()].sort(([a], [b]) => a - b).map(([key, b]) => {
      // The run's GPUs together, as its energy is: each GPU's min, mean and max in the bucket, summed.
      const gpus = [...b.gpus.values()];
      return {
        t: (key + 0.5) * span / BUCKETS,
        min: gpus.reduce((sum, g) => sum + g.min, 0),
        mean: gpus.reduce((sum, g) => sum + g.sum / g.n, 0),
        max: gpus.reduce((sum, g) => sum + g.max, 0),
        phase: b.window * 2 >= b.n ? "measure" : "other",
        throttled: b.throttled,
      };
    }),
    window: windowEdges(points, start),
  };
}

/** One time bucket: each GPU's samples in it, how many were in the window, and whether any was throttled. */
interface Bucket {
  gpus: Map<number, { min: number; max: number; sum: number; n: number }>;
  window: number;
  n: number;
  throttled: boolean;
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
