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

/** Throughput against energy per token, one point per experiment, the Pareto front marked and joined. */
export function paretoChart(rows: readonly ExperimentRow[]): ReportChart {
  const points = rows.flatMap((row) => {
    const cost = row.metrics.mj_per_tok?.mean ?? null;
    const benefit = row.metrics.tok_per_s?.mean ?? null;
    return cost === null || benefit === null ? [] : [{ experiment: experimentLabel(row), cost, benefit }];
  });
  const front = paretoFront(points);
  const values = points.map((point, i) => ({ ...point, front: front[i] ? "on the front" : "dominated" }));
  return {
    id: "pareto",
    title: "Throughput against energy per token",
    caption: "one point per experiment (means across cycles); the Pareto front (no experiment is both " +
      "cheaper and faster) is joined",
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
            y: { field: "benefit", type: "quantitative", title: "tokens per second" },
            order: { field: "cost" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 80 },
          encoding: {
            x: { field: "cost", type: "quantitative" },
            y: { field: "benefit", type: "quantitative" },
            color: { field: "front", type: "nominal", title: null },
            tooltip: [{ field: "experiment" }, { field: "cost" }, { field: "benefit" }],
          },
        },
      ],
    },
  };
}

/** One run's power, downsampled: time from its first sample, and min, mean and max per bucket. */
export interface PowerSeries {
  run: string;
  points: { t: number; min: number; mean: number; max: number; phase: string }[];
}

/** Power over time per run: the mean line within its min-max envelope. */
export function powerChart(series: readonly PowerSeries[]): ReportChart {
  const values = series.flatMap((run) => run.points.map((point) => ({ run: run.run, ...point })));
  return {
    id: "power",
    title: "GPU power over time",
    caption:
      "per run, from its first sample; the band is the min-max of each time bucket, the line its mean; " +
      "points in the measurement window are darker",
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 560,
      height: 260,
      layer: [
        {
          mark: { type: "area", opacity: 0.2 },
          encoding: {
            x: { field: "t", type: "quantitative", title: "seconds" },
            y: { field: "min", type: "quantitative", title: "watts" },
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

/** One experiment's time-to-first-token values, for its CDF. */
export interface LatencySample {
  experiment: string;
  ttftMs: readonly number[];
}

/** Time to first token as a CDF per experiment (at most 200 points each). */
export function latencyCdfChart(samples: readonly LatencySample[]): ReportChart {
  const values = samples.flatMap(({ experiment, ttftMs }) => {
    const sorted = [...ttftMs].sort((a, b) => a - b);
    const step = Math.max(1, Math.ceil(sorted.length / 200));
    return sorted.flatMap((ms, i) =>
      i % step === 0 || i === sorted.length - 1 ? [{ experiment, ms, fraction: (i + 1) / sorted.length }] : []
    );
  });
  return {
    id: "ttft-cdf",
    title: "Time to first token (CDF)",
    caption:
      "fraction of requests whose first token came within x milliseconds, every cycle's requests together",
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
