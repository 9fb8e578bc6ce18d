import type { ExperimentRow } from "../analysis/results_table.ts";
import { tableColumns } from "../analysis/table_columns.ts";
import { renderChartSvg } from "./render_chart.ts";
import {
  energyPerTokenChart,
  LATENCY_METRICS,
  latencyCdfChart,
  type LatencySample,
  PARETO_AXES,
  paretoChart,
  powerChart,
  type PowerSeries,
  type ReportChart,
  type ResponseEnergy,
  responseEnergyChart,
} from "./report_charts.ts";

/** What the report shows of one study, gathered by the caller from its files. */
export interface ReportStudy {
  dir: string;
  name: string;
  status: string;
  runs: { total: number; completed: number };
  rows: ExperimentRow[];
  power: PowerSeries[];
  /** How many runs the power chart leaves out (it shows the first ones). */
  powerOmitted: number;
  latency: LatencySample[];
  responseEnergy: ResponseEnergy[];
  /** Warnings of the runs' results, with how many runs gave each. */
  warnings: { message: string; runs: number }[];
  /** How the energy was measured and the baseline chosen, with how many runs each. */
  methods: { energy: Record<string, number>; baseline: Record<string, number> };
  /** GPUs, driver, engines and images the runs used. */
  environment: { gpus: string[]; drivers: string[]; engines: string[]; images: string[]; runners: string[] };
  /** What was simulated (`llem demo`), or null for a study measured on GPUs. */
  simulated: string | null;
}

/** The report's facts about itself. */
export interface ReportInput {
  studies: ReportStudy[];
  generatedAt: string;
  llemVersion: string;
}

/**
 * One self-contained HTML file: per study its table (means ±95% CI and flags), its charts as static SVG
 * (each with its Vega-Lite specification beside it), its warnings grouped, how each number was measured,
 * and where. No script, font, image or style is loaded from anywhere: it opens on an air-gapped laptop.
 */
export async function buildReport(input: ReportInput): Promise<string> {
  const sections: string[] = [];
  for (const study of input.studies) sections.push(await studySection(study));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>llem report: ${escape(input.studies.map((s) => s.name).join(", "))}</title>
<style>${STYLE}</style>
</head>
<body>
${simulatedBanner(input.studies)}<h1>llem report</h1>
<p class="meta">${input.studies.length} stud${input.studies.length === 1 ? "y" : "ies"}; generated ${
    escape(input.generatedAt)
  } by llem ${escape(input.llemVersion)}</p>
${sections.join("\n")}
</body>
</html>
`;
}

/** A banner no reader can miss when any study is simulated: its numbers were not measured. */
function simulatedBanner(studies: readonly ReportStudy[]): string {
  const simulated = studies.filter((study) => study.simulated !== null);
  if (simulated.length === 0) return "";
  return `<p class="simulated" role="alert"><b>SIMULATED</b>: ${
    escape(simulated.map((study) => `${study.name} (${study.simulated})`).join("; "))
  }. No GPU was measured: these numbers show what llem produces, not what any hardware does.</p>\n`;
}

async function studySection(study: ReportStudy): Promise<string> {
  const charts: ReportChart[] = [
    energyPerTokenChart(study.rows),
    ...PARETO_AXES.map((axis) => paretoChart(study.rows, axis)),
    powerChart(study.power),
    ...LATENCY_METRICS.map((metric) => latencyCdfChart(study.latency, metric)),
    responseEnergyChart(study.responseEnergy),
  ];
  const rendered: string[] = [];
  for (const chart of charts) rendered.push(await chartFigure(chart, study.powerOmitted));
  return `<section class="study">
<h2>${escape(study.name)} <span class="status">${
    escape(study.status)
  }: ${study.runs.completed} of ${study.runs.total} runs completed</span></h2>
<p class="meta">${escape(study.dir)}</p>
${resultsTable(study.rows)}
<div class="charts">${rendered.join("\n")}</div>
${warningsList(study.warnings)}
${methodology(study)}
</section>`;
}

async function chartFigure(chart: ReportChart, powerOmitted: number): Promise<string> {
  const svg = await renderChartSvg(chart.spec);
  const omitted = chart.id === "power" && powerOmitted > 0 ? ` (${powerOmitted} more runs not drawn)` : "";
  return `<figure class="chart" data-chart="${chart.id}">
<figcaption><b>${escape(chart.title)}</b>: ${escape(chart.caption)}${omitted}</figcaption>
${svg}
<details><summary>Vega-Lite specification</summary><pre>${
    escape(JSON.stringify(chart.spec, null, 1))
  }</pre></details>
</figure>`;
}

function resultsTable(rows: readonly ExperimentRow[]): string {
  const base = tableColumns(rows);
  const header = [...base.header, "flags"];
  const body = rows.map((row, i) => {
    const cells = [...base.cells[i]!, row.flags.join("; ")];
    return `<tr>${cells.map((cell) => `<td>${escape(cell)}</td>`).join("")}</tr>`;
  });
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead>
<tbody>${body.join("\n")}</tbody></table>
<p class="note">mean across completed cycles ±95% CI (Student's t); flags say what is missing or unstable</p>`;
}

function warningsList(warnings: ReportStudy["warnings"]): string {
  if (warnings.length === 0) return `<h3>Warnings</h3><p>none</p>`;
  const items = warnings.map((w) =>
    `<li>${escape(w.message)} <span class="count">(${w.runs} run(s))</span></li>`
  );
  return `<h3>Warnings</h3><ul class="warnings">${items.join("")}</ul>`;
}

function methodology(study: ReportStudy): string {
  const counts = (record: Record<string, number>) =>
    Object.entries(record).map(([name, n]) => `${escape(name)} (${n})`).join(", ") || "none";
  const env = study.environment;
  return `<h3>How it was measured</h3>
<ul>
<li>energy: ${counts(study.methods.energy)}; the GPUs' energy over each run's measurement window, from the ` +
    `NVML energy counter at its edges where the GPU has one, else integrated power samples</li>
<li>baseline subtracted for adjusted figures: ${counts(study.methods.baseline)}</li>
<li>statistics: mean across cycles, 95% CI by Student's t; CV over 10% flags an experiment as unstable</li>
</ul>
<h3>Where</h3>
<ul>
<li>GPUs: ${escape(env.gpus.join(", ") || "unknown")}</li>
<li>driver: ${escape(env.drivers.join(", ") || "unknown")}</li>
<li>engines: ${escape(env.engines.join(", ") || "unknown")}</li>
<li>runners: ${escape(env.runners.join(", ") || "unknown")}; images: ${
      escape(env.images.join(", ") || "none")
    }</li>
</ul>`;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { margin-bottom: 0; } .meta, .note, .count { color: #666; } .status { font-weight: normal; color: #666; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure.chart { margin: 0; border: 1px solid #eee; padding: 0.5em; }
figcaption { max-width: 560px; margin-bottom: 0.5em; }
pre { max-height: 20em; overflow: auto; font-size: 11px; background: #fafafa; }
.simulated { background: #fff3cd; border: 2px solid #c77c00; padding: 0.8em 1em; font-size: 16px; }
`;
