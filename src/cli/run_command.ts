import { ORDERS } from "../config/execution_config.ts";
import { RUNNER_IDS } from "../config/experiment_config.ts";
import type { PlanOverrides } from "../config/plan_study.ts";
import { parseShard } from "../config/parse_shard.ts";
import { UsageError } from "../errors/usage_error.ts";
import { measureStudy } from "../study/measure_study.ts";
import { resolveStudyRequest } from "../study/study_request.ts";
import type { Command, CommandArgs } from "./command.ts";
import { studyExitCode } from "./exit_code.ts";
import { NVML_LIBRARY_OPTION } from "./open_gpus.ts";
import { parseExecutionOption, parseGpuList } from "./parse_option_values.ts";
import { progressDisplay, reportPreflight } from "./progress_display.ts";
import { renderPlan } from "./render_plan.ts";
import { renderResumeHint } from "./render_resume_hint.ts";
import { renderStudySummary } from "./render_study_summary.ts";

/** `llem run CONFIG`: measure an experiment or a study, end to end, into a results directory. */
export const runCommand: Command = {
  name: "run",
  usage:
    "CONFIG [DIR --resume | DIR --shard I/N] [-o DIR] [--resume] [--dry-run] [--gpus L] [--runner R] [--cycles N] [--order O] [--json]",
  description:
    "Measure every run of a study (a single experiment is a study of one): preflight checks, idle baselines, " +
    "one engine session per group of runs that load the model alike, a measurement window per run with the " +
    "GPU energy counters read at its edges, and result.json, effective_config.json, timeseries.parquet and " +
    "requests.parquet per run, with every change checkpointed in manifest.json and its journal. Ctrl-C stops cleanly " +
    "(exit 130); --resume finishes an interrupted study without repeating completed runs.",
  positionals: ["CONFIG", "DIR?"],
  options: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "DIR",
      description: "results folder (execution.output_dir, else results)",
    },
    {
      name: "resume",
      type: "boolean",
      description:
        "finish an unfinished study: the one at DIR (after CONFIG), else the newest of this config",
    },
    {
      name: "shard",
      type: "string",
      value: "I/N",
      description:
        "run shard I (0-based) of N of the study in DIR: the first shard creates DIR, the others " +
        "join it, and the same command again resumes the shard (a Slurm array task; see llem slurm)",
    },
    {
      name: "dry-run",
      type: "boolean",
      description: "print the plan and the preflight checks; measure nothing",
    },
    { name: "gpus", type: "string", value: "LIST", description: "GPU indices or UUIDs for every experiment" },
    {
      name: "runner",
      type: "string",
      value: "R",
      description: `runner for every experiment: ${RUNNER_IDS.join(", ")}`,
    },
    {
      name: "cycles",
      type: "string",
      value: "N",
      description: "repetitions of every experiment (execution.n_cycles)",
    },
    { name: "order", type: "string", value: "O", description: `run order: ${ORDERS.join(", ")}` },
    { name: "no-wait", type: "boolean", description: "fail at once if another llem is measuring a GPU" },
    {
      name: "quiet",
      short: "q",
      type: "boolean",
      description: "print only warnings, failures and the summary",
    },
    { name: "verbose", short: "v", type: "boolean", description: "print every phase" },
    { name: "json", type: "boolean", description: "JSON lines of events on stdout" },
    NVML_LIBRARY_OPTION,
  ],
  examples: [
    ["llem run examples/study.yaml", "run the example study into results/"],
    ["llem run study.yaml --dry-run", "check the machine and see the plan first"],
    ["llem run study.yaml --resume", "finish the newest interrupted run of this study"],
    ["llem run study.yaml results/study_2026-11-22T10-00-00 --resume", "finish that study directory"],
    ["llem run study.yaml --gpus 1 --runner process --cycles 3", "override where and how often"],
    ["llem run study.yaml results/big-study --shard 2/8", "shard 2 of 8 of one study (a Slurm array task)"],
  ],
  async run(args, io) {
    const given = args.positionals[1];
    const shard = args.values.shard === undefined ? null : parseShard(args.values.shard as string);
    if (shard !== null && given === undefined) {
      throw new UsageError(
        `--shard ${shard.index}/${shard.count} needs the study's directory after CONFIG`,
        `every shard names the same directory: llem run CONFIG results/my-study --shard ${shard.index}/${shard.count}`,
      );
    }
    if (shard !== null && (args.values.resume || args.values.output !== undefined)) {
      throw new UsageError(
        `--shard takes neither --resume nor -o: the same command starts and resumes the shard, in ${given}`,
        `llem run CONFIG ${given} --shard ${shard.index}/${shard.count}`,
      );
    }
    if (given !== undefined && !args.values.resume && shard === null) {
      throw new UsageError(`unexpected argument "${given}"`, `to resume that study directory, add --resume`);
    }
    const request = resolveStudyRequest({
      configPath: args.positionals[0]!,
      cwd: io.cwd,
      overrides: planOverrides(args.values),
      ...(args.values.output !== undefined ? { outputDir: args.values.output as string } : {}),
      ...(args.values.resume ? { resume: given === undefined ? {} : { dir: given } } : {}),
      ...(shard !== null ? { shard: { shard, dir: given! } } : {}),
      noWait: args.values["no-wait"] === true,
      ...(args.values["nvml-library"] !== undefined
        ? { nvmlLibrary: args.values["nvml-library"] as string }
        : {}),
    }, io.env);
    const json = args.values.json === true;
    const say = (text: string) => (json ? io.err : io.out)(text);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const name of signals) Deno.addSignalListener(name, onSignal);
    const display = progressDisplay(io, {
      json,
      quiet: args.values.quiet === true,
      verbose: args.values.verbose === true,
    });
    try {
      const measured = await measureStudy(request, {
        signal: controller.signal,
        onEvent: display.event,
        onPreflight: (report) => {
          if (args.values["dry-run"]) say(renderPlan(request.plan, { all: false }));
          if (!args.values.quiet || args.values["dry-run"]) {
            for (const note of report.notes) say(`note: ${note}\n`);
          }
          return !args.values["dry-run"];
        },
      });
      display.close();
      if (measured.kind === "preflight") return reportPreflight(measured.report, { io, say });
      const outcome = measured.outcome;
      if (!json) {
        // The summary, then the path last, where a user's eye (and `tail -1` in a job script) finds it.
        if (!args.values.quiet) {
          say("\n" + renderStudySummary(request.plan, outcome.manifest).join("\n") + "\n");
        }
        const resume = renderResumeHint(outcome.manifest, {
          configPath: request.configPath,
          studyDir: outcome.studyDir,
          planFlags: PLAN_FLAGS.flatMap((name) =>
            args.values[name] === undefined
              ? []
              : [[`--${name}`, String(args.values[name])] as [string, string]]
          ),
        });
        if (resume) say(`${resume}\n`);
        say(`results: ${outcome.studyDir}\n`);
      }
      return studyExitCode({ status: outcome.status, failedRuns: outcome.manifest.summary.failed });
    } finally {
      display.close();
      for (const name of signals) Deno.removeSignalListener(name, onSignal);
    }
  },
};

/** The plan changes the command line asks for: GPUs, runner, cycles, order. */
/** The flags that change the plan, which a resume must give again as they were. */
const PLAN_FLAGS = ["cycles", "order", "gpus", "runner"] as const;

function planOverrides(values: CommandArgs["values"]): PlanOverrides {
  const overrides: PlanOverrides = { experiment: {}, execution: {} };
  if (values.gpus !== undefined) overrides.experiment!.gpus = parseGpuList(values.gpus as string)!;
  if (values.runner !== undefined) {
    const runner = values.runner as string;
    if (!(RUNNER_IDS as readonly string[]).includes(runner)) {
      throw new UsageError(`unknown runner "${runner}"`, `choose one of ${RUNNER_IDS.join(", ")}`);
    }
    overrides.experiment!.runner = runner;
  }
  if (values.cycles !== undefined) {
    overrides.execution!.n_cycles = parseExecutionOption(values.cycles, {
      flag: "--cycles",
      key: "n_cycles",
    });
  }
  if (values.order !== undefined) {
    overrides.execution!.order = parseExecutionOption(values.order, { flag: "--order", key: "order" });
  }
  return overrides;
}
