import { paretoFront } from "../analysis/pareto_front.ts";
import type { ExperimentRow } from "../analysis/results_table.ts";

/** A Vega-Lite specification (the report keeps each beside its chart). */
export type ChartSpec = Record<string, unknown>;

/** A chart of the report: its title, what it shows, and its Vega-Lite specification with its data inline. */
export interface ReportChart {
  id: string;
  title: string;
  caption: string;
  spec: ChartSpec;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** An experiment's label: its id and swept values ("1 max_new_tokens=4"). */
export function experimentLabel(row: ExperimentRow): string {
  const values = Object.entries(row.values).map(([key, value]) =>
    `${key.split(".").at(-1)}=${JSON.stringify(value)}`
  );
  return [`${row.experiment}`, ...values].join(" ");
}

/** Energy per output token of each experiment: the mean across cycles with its 95% CI as whiskers. */
export function energyPerTokenChart(rows: readonly ExperimentRow[]): ReportChart {
  const values = rows.flatMap((row) => {
    const stats = row.metrics.mj_per_tok;
    if (!stats || stats.mean === null) return [];
    return [{
      experiment: experimentLabel(row),
      mean: stats.mean,
      low: stats.ci95_low ?? stats.mean,
      high: stats.ci95_high ?? stats.mean,
      cycles: stats.n,
    }];
  });
  return {
    id: "energy-per-token",
    title: "Energy per output token",
    caption: "mean across completed cycles (mJ per output token, no baseline subtracted); whiskers: 95% CI",
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 480,
      layer: [
        {
          mark: { type: "bar", color: "#4c78a8" },
          encoding: {
            y: { field: "experiment", type: "nominal", sort: null, title: "experiment" },
            x: { field: "mean", type: "quantitative", title: "mJ per output token" },
            tooltip: [{ field: "experiment" }, { field: "mean" }, { field: "low" }, { field: "high" }, {
              field: "cycles",
            }],
          },
        },
        {
          mark: { type: "errorbar", ticks: true, color: "#222" },
          encoding: {
            y: { field: "experiment", type: "nominal", sort: null },
            x: { field: "low", type: "quantitative", title: "mJ per output token" },
            x2: { field: "high" },
          },
        },
      ],
    },
  };
}

/** What a Pareto chart puts against energy per token: a metric key, its label, and whether more is better. */
export interface ParetoAxis {
  key: string;
  label: string;
  higherIsBetter: boolean;
}

/** The two trade-offs the report draws: throughput, and inter-token latency, against energy per token. */
export const PARETO_AXES: readonly ParetoAxis[] = [
  { key: "tok_per_s", label: "tokens per second", higherIsBetter: true },
  { key: "itl_p50_ms", label: "median inter-token latency, ms", higherIsBetter: false },
];

/** A metric against energy per token, one point per experiment, the Pareto front marked and joined. */
export function paretoChart(rows: readonly ExperimentRow[], axis: ParetoAxis = PARETO_AXES[0]!): ReportChart {
  const points = rows.flatMap((row) => {
    const cost = row.metrics.mj_per_tok?.mean ?? null;
    const value = row.metrics[axis.key]?.mean ?? null;
    return cost === null || value === null ? [] : [{ experiment: experimentLabel(row), cost, value }];
  });
  const front = paretoFront(
    points.map((p) => ({ cost: p.cost, benefit: axis.higherIsBetter ? p.value : -p.value })),
  );
  const values = points.map((point, i) => ({ ...point, front: front[i] ? "on the front" : "dominated" }));
  return {
    id: `pareto-${axis.key}`,
    title: `${axis.label[0]!.toUpperCase()}${axis.label.slice(1)} against energy per token`,
    caption: "one point per experiment (means across cycles); the Pareto front (no experiment is better on " +
      `both: less energy and ${axis.higherIsBetter ? "more" : "less"}) is joined`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 480,
      height: 300,
      layer: [
        {
          transform: [{ filter: "datum.front === 'on the front'" }],
          mark: { type: "line", color: "#e45756" },
          encoding: {
            x: { field: "cost", type: "quantitative", title: "mJ per output token" },
            y: { field: "value", type: "quantitative", title: axis.label },
            order: { field: "cost" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 80 },
          encoding: {
            x: { field: "cost", type: "quantitative" },
            y: { field: "value", type: "quantitative" },
            color: { field: "front", type: "nominal", title: null },
            tooltip: [{ field: "experiment" }, { field: "cost" }, { field: "value" }],
          },
        },
      ],
    },
  };
}

/** One run's power, downsampled: time from its first sample, and min, mean and max per bucket. */
export interface PowerSeries {
  run: string;
  points: { t: number; min: number; mean: number; max: number; phase: string; throttled: boolean }[];
  /** The measurement window's edges, seconds from the first sample; null when no sample was in it. */
  window: { start: number; end: number } | null;
}

/**
 * Power over time per run: the mean line within its min-max envelope, the measurement window shaded
 * between dashed edges, and throttled moments as red ticks along the bottom.
 */
export function powerChart(series: readonly PowerSeries[]): ReportChart {
  const values = series.flatMap((run) => run.points.map((point) => ({ run: run.run, ...point })));
  const windows = series.flatMap((run) => (run.window ? [{ run: run.run, ...run.window }] : []));
  const throttled = values.filter((point) => point.throttled);
  return {
    id: "power",
    title: "GPU power over time",
    caption:
      "per run, from its first sample (baselines, loading and the window alike); the band is the min-max " +
      "of each time bucket, the line its mean; the measurement window is shaded between dashed edges, and " +
      "red ticks at the bottom mark throttling",
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 560,
      height: 260,
      layer: [
        {
          data: { values: windows },
          mark: { type: "rect", opacity: 0.06, color: "#555" },
          encoding: { x: { field: "start", type: "quantitative" }, x2: { field: "end" } },
        },
        {
          data: { values: windows.flatMap((w) => [{ run: w.run, t: w.start }, { run: w.run, t: w.end }]) },
          mark: { type: "rule", strokeDash: [4, 3] },
          encoding: { x: { field: "t", type: "quantitative" }, color: { field: "run", type: "nominal" } },
        },
        {
          data: { values: throttled },
          mark: { type: "tick", color: "#d62728", thickness: 2 },
          encoding: { x: { field: "t", type: "quantitative" }, y: { datum: 0, type: "quantitative" } },
        },
        {
          mark: { type: "area", opacity: 0.2 },
          encoding: {
            x: { field: "t", type: "quantitative", title: "seconds" },
            y: { field: "min", type: "quantitative", title: "watts, the run's GPUs together" },
            y2: { field: "max" },
            color: { field: "run", type: "nominal", legend: null },
          },
        },
        {
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: { field: "t", type: "quantitative" },
            y: { field: "mean", type: "quantitative" },
            color: { field: "run", type: "nominal", title: "run" },
          },
        },
      ],
    },
  };
}

/** One experiment's per-request latencies (milliseconds), for their CDFs. */
export interface LatencySample {
  experiment: string;
  /** By metric: "ttft", "tpot", "e2e". */
  ms: Readonly<Record<string, readonly number[]>>;
}

/** The latencies the report draws as CDFs: their key in LatencySample, and their title. */
export const LATENCY_METRICS = [
  { key: "ttft", title: "Time to first token (CDF)" },
  { key: "tpot", title: "Time per output token (CDF)" },
  { key: "e2e", title: "End-to-end latency (CDF)" },
] as const;

/** A latency as a CDF per experiment (at most 200 points each), every cycle's requests together. */
export function latencyCdfChart(
  samples: readonly LatencySample[],
  metric: (typeof LATENCY_METRICS)[number] = LATENCY_METRICS[0],
): ReportChart {
  const values = samples.flatMap(({ experiment, ms }) => {
    const sorted = [...(ms[metric.key] ?? [])].sort((a, b) => a - b);
    const step = Math.max(1, Math.ceil(sorted.length / 200));
    return sorted.flatMap((value, i) =>
      i % step === 0 || i === sorted.length - 1
        ? [{ experiment, ms: value, fraction: (i + 1) / sorted.length }]
        : []
    );
  });
  return {
    id: `${metric.key}-cdf`,
    title: metric.title,
    caption: "fraction of requests within x milliseconds, every cycle's requests together",
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 480,
      height: 260,
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x: { field: "ms", type: "quantitative", title: "ms" },
        y: { field: "fraction", type: "quantitative", title: "fraction of requests" },
        color: { field: "experiment", type: "nominal" },
      },
    },
  };
}

/** One experiment's energy per response, joules: each request's share of its run's energy. */
export interface ResponseEnergy {
  experiment: string;
  joules: readonly number[];
}

/**
 * Energy per response as a histogram per experiment. llem measures a window's energy, not a request's:
 * each request is given its run's window energy in proportion to its output tokens (the attribution
 * ML.ENERGY's per-request energy also rests on), so this shows how energy spreads over responses.
 */
export function responseEnergyChart(samples: readonly ResponseEnergy[]): ReportChart {
  const values = samples.flatMap(({ experiment, joules }) => joules.map((j) => ({ experiment, joules: j })));
  return {
    id: "response-energy",
    title: "Energy per response",
    caption: "each request's share of its run's window energy, in proportion to its output tokens; joules",
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 480,
      height: 240,
      mark: { type: "bar", opacity: 0.7 },
      encoding: {
        x: { field: "joules", type: "quantitative", bin: { maxbins: 40 }, title: "joules per response" },
        y: { aggregate: "count", type: "quantitative", title: "responses", stack: null },
        color: { field: "experiment", type: "nominal" },
      },
    },
  };
}
