import { ALLOW_SIMULATED_OPTION, refuseMixedSimulation } from "./simulation_guard.ts";
import { compareToBaseline } from "../analysis/compare_to_baseline.ts";
import { type ExperimentRow, HEADLINE_METRICS, resultsTable } from "../analysis/results_table.ts";
import { UsageError } from "../errors/usage_error.ts";
import { type LoadedStudy, loadStudy } from "../results/load_study.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import {
  renderResultsCsv,
  renderResultsText,
  type ResultRow,
  type StudyRows,
  studyRows,
} from "./render_results.ts";

/** Keys --sort accepts: the experiment's id, or a headline metric's mean. */
const SORT_KEYS = ["exp", ...HEADLINE_METRICS.map((m) => m.key)];

/** `llem results DIR...`: one row per experiment, its metrics across cycles with their uncertainty. */
export const resultsCommand: Command = {
  name: "results",
  usage: "DIR... [--json | --csv] [--sort KEY] [--baseline DIR]",
  description:
    "Summarise studies llem wrote: one row per experiment with its swept values, the cycles completed, " +
    "and energy, mJ/token (total and over the idle baseline), tokens/s, mean power, TTFT and ITL as the mean " +
    "across cycles ±95% confidence interval (Student's t), with flags for what is missing (cycles not run, " +
    "failed runs, unreadable results), unstable (coefficient of variation over 10%) or warned about. Reads " +
    "only manifest.json, the plan and result.json files. A partial study is shown with what it lacks. With " +
    "--baseline, each experiment is matched to the baseline study's (the same config hash, else the one " +
    "with the same model, engine and swept values) and every metric compared: the ratio of means and the difference with its 95% " +
    "confidence interval by Welch's t-test.",
  positionals: ["DIR..."],
  options: [
    {
      name: "json",
      type: "boolean",
      description: "every statistic (n, mean, std, CI, median, quartiles, CV) as JSON",
    },
    { name: "csv", type: "boolean", description: "one CSV over all studies, summary statistics only" },
    { name: "sort", type: "string", value: "KEY", description: `sort rows by: ${SORT_KEYS.join(", ")}` },
    {
      name: "baseline",
      type: "string",
      value: "DIR",
      description: "compare with this study: ratio and Welch's 95% CI of the difference, per metric",
    },
    ALLOW_SIMULATED_OPTION,
  ],
  examples: [
    ["llem results results/my-study_2026-11-22T10-00-00", "the table of one study"],
    ["llem results results/a_* results/b_* --sort mj_per_tok", "two studies, most efficient first"],
    ["llem results results/my-study_* --csv > table.csv", "for a spreadsheet or a paper's table"],
    ["llem results results/new_* --baseline results/old_*", "each experiment against its match in old"],
  ],
  run(args, io) {
    if (args.values.json && args.values.csv) {
      throw new UsageError("--json and --csv cannot be given together", "choose one output format");
    }
    const sort = args.values.sort as string | undefined;
    if (sort !== undefined && !SORT_KEYS.includes(sort)) {
      throw new UsageError(`unknown sort key "${sort}"`, `choose one of ${SORT_KEYS.join(", ")}`);
    }
    const baselineDir = args.values.baseline as string | undefined;
    const baseline = baselineDir === undefined ? null : loadStudy(baselineDir);
    const loaded = args.positionals.map((dir) => loadStudy(dir));
    refuseMixedSimulation(
      [...loaded, ...(baseline ? [baseline] : [])].map((study) => ({
        dir: study.dir,
        simulated: study.manifest.simulated,
      })),
      args.values["allow-simulated"] === true,
    );
    const studies: StudyRows[] = loaded.map((study) => {
      const rows = withBaseline(resultsTable(study), { study, baseline, baselineDir });
      if (sort !== undefined && sort !== "exp") rows.sort(byMean(sort));
      return studyRows(study, rows);
    });
    if (args.values.json) io.out(JSON.stringify({ studies }, null, 2) + "\n");
    else if (args.values.csv) io.out(renderResultsCsv(studies));
    else io.out(renderResultsText(studies));
    return EXIT.ok;
  },
};

/** Each row with its comparison to the baseline study; a study none of whose experiments match is bad input. */
function withBaseline(
  rows: ExperimentRow[],
  compare: { study: LoadedStudy; baseline: LoadedStudy | null; baselineDir: string | undefined },
): ResultRow[] {
  if (!compare.baseline) return rows;
  const comparisons = compareToBaseline(compare.study, compare.baseline);
  if (comparisons.every((c) => c.baseline === null)) {
    throw new UsageError(
      `no experiment of ${compare.study.dir} matches one of the baseline ${compare.baselineDir}`,
      "a baseline experiment matches by measurement_config_hash, else by model and swept values: " +
        "compare studies of the same sweep",
    );
  }
  return rows.map((row) => {
    const comparison = comparisons.find((c) => c.experiment === row.experiment)!;
    return { ...row, baseline: { study: compare.baselineDir!, ...comparison } };
  });
}

/** Ascending by a metric's mean; rows without one last. */
function byMean(key: string) {
  return (a: StudyRows["rows"][number], b: StudyRows["rows"][number]) => {
    const [x, y] = [a.metrics[key]?.mean ?? null, b.metrics[key]?.mean ?? null];
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return x - y;
  };
}
