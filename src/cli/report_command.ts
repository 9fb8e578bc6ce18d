import { ALLOW_SIMULATED_OPTION, refuseMixedSimulation } from "./simulation_guard.ts";
import { buildReport, type ReportStudy } from "../report/build_report.ts";
import { downsamplePower } from "../report/downsample_power.ts";
import { experimentLabel } from "../report/report_charts.ts";
import { LLEM_VERSION } from "../study/llem_version.ts";
import { openStudyResults, type RequestRow, type StudyResults } from "../study/study_results.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import { writeOutputFile } from "./write_output_file.ts";
import { windowEnergy } from "./render_export.ts";
import { studyRows } from "./render_results.ts";

/** Runs whose power the report draws, per study (the first ones, in run order). */
const POWER_RUNS = 12;

/** `llem report DIR... -o report.html`: one self-contained HTML file with tables, charts and methodology. */
export const reportCommand: Command = {
  name: "report",
  usage: "DIR... [-o FILE]",
  description: "Write one self-contained HTML report of the studies (it loads nothing from anywhere, so it " +
    "opens on an air-gapped laptop): per study the table of llem results, charts rendered to static SVG " +
    "with their Vega-Lite specifications beside them (energy per output token with 95% CI whiskers, " +
    "throughput against energy per token with the Pareto front, GPU power over time per run, time to first " +
    "token as a CDF), the runs' warnings grouped, how each number was measured, and the GPUs, driver, " +
    "engines and images.",
  positionals: ["DIR..."],
  options: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "the HTML file (default report.html)",
    },
    ALLOW_SIMULATED_OPTION,
  ],
  examples: [
    ["llem report results/my-study_2026-11-22T10-00-00", "report.html for one study"],
    ["llem report results/a_* results/b_* -o compare.html", "two studies in one file"],
  ],
  async run(args, io) {
    const html = await reportHtml(args.positionals, {
      allowSimulated: args.values["allow-simulated"] === true,
    });
    const output = (args.values.output as string | undefined) ?? "report.html";
    writeOutputFile(output, html);
    io.out(`report: ${output}\n`);
    return EXIT.ok;
  },
};

/** The HTML report of the studies in `dirs`. */
export async function reportHtml(
  dirs: readonly string[],
  options: { allowSimulated?: boolean } = {},
): Promise<string> {
  const opened = dirs.map((dir) => openStudyResults(dir));
  refuseMixedSimulation(
    opened.map((study) => ({ dir: study.dir, simulated: study.manifest.simulated })),
    options.allowSimulated === true,
  );
  const studies: ReportStudy[] = [];
  for (const study of opened) studies.push(await reportStudy(study));
  return await buildReport({ studies, generatedAt: new Date().toISOString(), llemVersion: LLEM_VERSION });
}

/** What the report shows of a study, read from its files (Parquet only for the runs drawn). */
async function reportStudy(study: StudyResults): Promise<ReportStudy> {
  const rows = study.table();
  const completed = study.runs.filter((run) => run.result !== null);
  const drawn = completed.filter((run) => run.result!.timeseries !== null).slice(0, POWER_RUNS);
  const power = [];
  for (const run of drawn) power.push(downsamplePower(run.entry.dir, await study.timeseries(run.entry.dir)));
  const { latency, responseEnergy } = requestFigures(rows, { completed, requests: await study.requests() });
  const results = completed.map((run) => run.result!);
  return {
    ...studyRows(study, rows),
    power,
    powerOmitted: completed.length - drawn.length,
    latency,
    responseEnergy,
    warnings: tally(results.flatMap((r) => [...new Set(r.measurement_warnings)])).map(([message, runs]) => ({
      message,
      runs,
    })),
    methods: {
      energy: Object.fromEntries(tally(results.map((r) => r.energy_method ?? "unknown"))),
      baseline: Object.fromEntries(tally(results.map((r) => r.baseline_method ?? "none"))),
    },
    environment: {
      gpus: unique(results.flatMap((r) => r.environment?.gpus.map((g) => g.name) ?? [])),
      drivers: unique(results.flatMap((r) => (r.environment ? [r.environment.driver_version] : []))),
      engines: unique(results.map((r) => `${r.engine} ${r.engine_version ?? ""}`.trim())),
      images: unique(results.flatMap((r) => (r.environment?.image ? [r.environment.image] : []))),
      runners: unique(results.flatMap((r) => (r.environment ? [r.environment.runner] : []))),
    },
    simulated: study.manifest.simulated ?? null,
  };
}

/**
 * Per experiment, every cycle's request latencies (TTFT, TPOT, end to end) and each response's share of
 * its run's window energy, in proportion to its output tokens.
 */
function requestFigures(
  rows: ReturnType<StudyResults["table"]>,
  study: { completed: StudyResults["runs"]; requests: RequestRow[] },
): Pick<ReportStudy, "latency" | "responseEnergy"> {
  const byRun = Map.groupBy(study.requests, (request) => request.run_dir);
  const numbers = (requests: RequestRow[], column: string) =>
    requests.flatMap((r) => (typeof r[column] === "number" ? [r[column] as number] : []));
  const figures = rows.map((row) => {
    const runs = study.completed.filter((run) => run.entry.experiment === row.experiment);
    const requests = runs.flatMap((run) => byRun.get(run.entry.dir) ?? []);
    const joules = runs.flatMap((run) => {
      const own = byRun.get(run.entry.dir) ?? [];
      const tokens = own.reduce((sum, r) => sum + r.num_tokens_output, 0);
      return tokens > 0 ? own.map((r) => windowEnergy(run.result!) * r.num_tokens_output / tokens) : [];
    });
    const experiment = experimentLabel(row);
    return {
      latency: {
        experiment,
        ms: {
          ttft: numbers(requests, "ttft_ms"),
          tpot: numbers(requests, "tpot_ms"),
          e2e: numbers(requests, "e2e_ms"),
        },
      },
      responseEnergy: { experiment, joules },
    };
  });
  return { latency: figures.map((f) => f.latency), responseEnergy: figures.map((f) => f.responseEnergy) };
}

function tally(values: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
