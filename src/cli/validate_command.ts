import { type FailedCheck, STABILITY_LIMITS, stabilityChecks } from "../analysis/stability_checks.ts";
import { resultsTable, UNSTABLE_CV } from "../analysis/results_table.ts";
import { loadStudy } from "../results/load_study.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_code.ts";

/** A run's verdict: its directory, and the checks it failed (none: stable). */
interface RunVerdict {
  run: string;
  failed: FailedCheck[];
}

/** `llem validate DIR...`: stability checks per run and across cycles; --strict fails on any. */
export const validateCommand: Command = {
  name: "validate",
  usage: "DIR... [--strict] [--json]",
  description: "Check every completed run of the studies for what makes a number unsafe to publish, each " +
    "failed check with its reason: a window under " +
    `${STABILITY_LIMITS.minWindowSeconds} s; mean power below ` +
    "idle or above the GPUs' power limit; a temperature outside " +
    `${
      STABILITY_LIMITS.temperatureRange.join("-")
    } °C; throttling in the window; the energy counter and the ` +
    `integrated power differing by more than ${STABILITY_LIMITS.maxDisagreement * 100}%; adjusted energy ` +
    `floored at 0; and, per experiment, energy or mJ/token varying by more than ${UNSTABLE_CV * 100}% ` +
    "(coefficient of variation) across cycles. Runs that are not completed are listed as such. --strict " +
    "exits 4 when anything failed.",
  positionals: ["DIR..."],
  options: [
    { name: "strict", type: "boolean", description: "exit 4 when any run or experiment fails a check" },
    { name: "json", type: "boolean", description: "every verdict as JSON" },
  ],
  examples: [
    ["llem validate results/my-study_2026-11-22T10-00-00", "what in a study is unsafe to publish, and why"],
    ["llem validate results/* --strict", "in CI or a job script: exit 4 when anything is unstable"],
  ],
  run(args, io) {
    const verdicts = args.positionals.map((dir) => {
      const study = loadStudy(dir);
      const runs: RunVerdict[] = study.runs.map((run) => ({
        run: run.entry.dir,
        failed: run.result
          ? stabilityChecks(run.result)
          : [{ check: "completed", reason: run.problem ?? `the run is ${run.entry.status}` }],
      }));
      const experiments = resultsTable(study).flatMap((row) =>
        row.flags.filter((flag) => flag.startsWith("unstable")).map((flag) => ({
          experiment: row.experiment,
          reason: flag,
        }))
      );
      return { dir, runs, experiments };
    });
    const failures = verdicts.reduce(
      (sum, v) => sum + v.runs.filter((r) => r.failed.length).length + v.experiments.length,
      0,
    );
    if (args.values.json) io.out(JSON.stringify({ studies: verdicts, failures }, null, 2) + "\n");
    else io.out(renderVerdicts(verdicts, failures));
    return args.values.strict && failures > 0 ? EXIT.failed : EXIT.ok;
  },
};

function renderVerdicts(
  verdicts: { dir: string; runs: RunVerdict[]; experiments: { experiment: number; reason: string }[] }[],
  failures: number,
): string {
  const lines: string[] = [];
  for (const { dir, runs, experiments } of verdicts) {
    const stable = runs.filter((run) => run.failed.length === 0).length;
    lines.push(`${dir}: ${stable} of ${runs.length} runs pass every check`);
    for (const run of runs.filter((r) => r.failed.length)) {
      lines.push(`  ${run.run}`);
      for (const failed of run.failed) lines.push(`    ${failed.check}: ${failed.reason}`);
    }
    for (const experiment of experiments) {
      lines.push(`  experiment ${experiment.experiment}: ${experiment.reason}`);
    }
  }
  lines.push(failures === 0 ? "every check passed" : `${failures} failed (runs and experiments); see above`);
  return lines.join("\n") + "\n";
}
