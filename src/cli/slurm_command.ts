import { join, resolve } from "node:path";
import { assignShards } from "../config/assign_shards.ts";
import type { StudyPlan } from "../config/build_plan.ts";
import { MAX_SHARD_COUNT } from "../config/parse_shard.ts";
import { planStudy } from "../config/plan_study.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { UsageError } from "../errors/usage_error.ts";
import { claimStudyDir } from "../results/claim_study_dir.ts";
import { readStoredPlan } from "../results/load_study.ts";
import { isFile } from "../results/is_file.ts";
import { readManifest } from "../results/manifest_store.ts";
import { MANIFEST_FILE } from "../results/study_layout.ts";
import { shardProgress } from "../results/shard_progress.ts";
import { makeDirectory } from "../results/write_error.ts";
import { llemInvocation } from "../runners/llem_invocation.ts";
import { submitSbatch } from "../runners/submit_sbatch.ts";
import { readConfigFile } from "../study/read_config_file.ts";
import { checkShardDirectory } from "../study/study_record.ts";
import type { CliIo } from "./cli_io.ts";
import type { Command, CommandArgs } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import { formatTable } from "./format_table.ts";
import { renderSbatchScript } from "./render_sbatch_script.ts";
import { shellQuote } from "./shell_quote.ts";
import { writeOutputFile } from "./write_output_file.ts";

/** Seconds before the time limit at which a task is told to stop: enough for llem to stop a run cleanly. */
const SIGNAL_SECONDS = 120;

/** `llem slurm CONFIG`: an sbatch array script running one study as N shards; `llem slurm status DIR`. */
export const slurmCommand: Command = {
  name: "slurm",
  usage: "CONFIG [--array N] [--partition P] [--gpus-per-task G] [--time T] [--account A] " +
    "[--sbatch-arg 'ARGS'] [-o DIR] [--study-dir DIR] [--script FILE] [--submit] | status DIR [--json]",
  description: "Write (and with --submit, submit) an sbatch array script that runs one study as N shards " +
    "into one study directory: task i runs `llem run CONFIG DIR --shard i/N`. Shards keep each experiment's " +
    "cycles and each model load together; each writes its own part of the manifest, and manifest.json, " +
    "llem results, report, query and the API see the union. Tasks are requeueable and told to stop " +
    `${SIGNAL_SECONDS} s before their time limit; a task stopped by SIGTERM (pre-emption, scancel ` +
    "--signal=TERM) stops cleanly, requeues itself and resumes its shard, redoing only its unfinished runs. " +
    "GPUs come from each task's allocation (CUDA_VISIBLE_DEVICES, resolved to UUIDs). `llem slurm status " +
    "DIR` shows every shard's progress.",
  positionals: ["CONFIG|status", "DIR?"],
  options: [
    {
      name: "array",
      type: "string",
      value: "N",
      description: "shards (array tasks); default one per group of experiments that must stay together",
    },
    { name: "partition", type: "string", value: "P", description: "sbatch --partition" },
    { name: "gpus-per-task", type: "string", value: "G", description: "sbatch --gres=gpu:G per task" },
    { name: "time", type: "string", value: "T", description: "sbatch --time per task, e.g. 04:00:00" },
    { name: "account", type: "string", value: "A", description: "sbatch --account" },
    {
      name: "sbatch-arg",
      type: "string",
      value: "ARGS",
      description: "more sbatch options, space-separated, each its own #SBATCH line (e.g. '--qos=high')",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "DIR",
      description: "results folder for the new study directory (execution.output_dir, else results)",
    },
    { name: "study-dir", type: "string", value: "DIR", description: "the study directory itself" },
    {
      name: "script",
      type: "string",
      value: "FILE",
      description: "where to write the script (default DIR/_slurm/llem.sbatch)",
    },
    {
      name: "submit",
      type: "boolean",
      description: "submit it with sbatch (exit 3 where there is no Slurm)",
    },
    { name: "json", type: "boolean", description: "status: one JSON document" },
  ],
  examples: [
    [
      "llem slurm study.yaml --array 8 --gpus-per-task 1 --time 04:00:00",
      "write the script; submit it yourself",
    ],
    ["llem slurm study.yaml --partition gpu --gpus-per-task 1 --submit", "write and submit"],
    ["llem slurm status results/study_2026-11-30T10-00-00", "each shard's progress"],
  ],
  async run(args, io) {
    const [first, dir] = args.positionals;
    if (first === "status" && dir !== undefined) return status(resolve(io.cwd, dir), { args, io });
    if (dir !== undefined) {
      throw new UsageError(
        `unexpected argument "${dir}"`,
        "llem slurm CONFIG [options], or llem slurm status DIR",
      );
    }
    return await writeScript(first!, { args, io });
  },
};

async function writeScript(config: string, call: { args: CommandArgs; io: CliIo }): Promise<number> {
  const { args, io } = call;
  const configPath = resolve(io.cwd, config);
  const plan = planStudy(configPath, readConfigFile);
  const groups = new Set(assignShards(plan.runs, Math.max(1, plan.runs.length))).size;
  const shards = positiveInt(args.values.array, "--array") ?? Math.min(Math.max(1, groups), MAX_SHARD_COUNT);
  if (shards > MAX_SHARD_COUNT) {
    throw new UsageError(`--array ${shards}: at most ${MAX_SHARD_COUNT} shards`, "give fewer array tasks");
  }
  const gpusPerTask = positiveInt(args.values["gpus-per-task"], "--gpus-per-task");
  const studyDir = args.values["study-dir"] !== undefined
    ? studyDirFor(resolve(io.cwd, args.values["study-dir"] as string), { plan, shards })
    : claimStudyDir(
      resolve(io.cwd, (args.values.output as string | undefined) ?? plan.execution.output_dir),
      {
        name: plan.study_name,
        now: new Date(),
      },
    );
  const logDir = join(studyDir, "_slurm");
  makeDirectory(logDir);
  const scriptPath = args.values.script !== undefined
    ? resolve(io.cwd, args.values.script as string)
    : join(logDir, "llem.sbatch");
  writeOutputFile(
    scriptPath,
    renderSbatchScript({
      jobName: `llem-${plan.study_name}`.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 64),
      shards,
      llem: llemInvocation(),
      configPath,
      studyDir,
      logDir,
      workDir: io.cwd,
      partition: (args.values.partition as string | undefined) ?? null,
      gpusPerTask,
      time: (args.values.time as string | undefined) ?? null,
      account: (args.values.account as string | undefined) ?? null,
      extra: ((args.values["sbatch-arg"] as string | undefined) ?? "").split(/\s+/).filter(Boolean),
      signalSeconds: SIGNAL_SECONDS,
      planFlags: [],
    }),
    { createNew: true },
  );
  io.out(`wrote ${scriptPath}: ${shards} array task(s), one shard each, into ${studyDir}\n`);
  if (shards > groups) {
    io.err(
      `warning: the study has ${groups} group(s) of experiments that stay together; ` +
        `${shards - groups} task(s) will have nothing to do\n`,
    );
  }
  if (!args.values.submit) {
    io.out(`submit: sbatch ${shellQuote(scriptPath)}\nprogress: llem slurm status ${shellQuote(studyDir)}\n`);
    return EXIT.ok;
  }
  return await submit(scriptPath, { io, studyDir });
}

async function submit(scriptPath: string, where: { io: CliIo; studyDir: string }): Promise<number> {
  const submitted = await submitSbatch(scriptPath);
  if ("missing" in submitted) {
    throw new NotReadyError(
      `cannot submit: there is no Slurm on this machine (${submitted.missing})`,
      `the script is written: submit it from a machine with Slurm: sbatch ${shellQuote(scriptPath)}`,
    );
  }
  if ("refused" in submitted) {
    throw new NotReadyError(
      `sbatch refused ${scriptPath}: ${submitted.refused}`,
      "fix the sbatch options (--partition, --gpus-per-task, --time, --account, --sbatch-arg) and run llem " +
        "slurm again with a new --study-dir, or edit the script and submit it with sbatch",
    );
  }
  where.io.out(
    `submitted job ${submitted.jobId}\nprogress: llem slurm status ${shellQuote(where.studyDir)}\n`,
  );
  return EXIT.ok;
}

/** A --study-dir the array's shards can run into (checked now: each task would refuse it otherwise). */
function studyDirFor(dir: string, study: { plan: StudyPlan; shards: number }): string {
  checkShardDirectory(study.plan, { dir, count: study.shards });
  return dir;
}

function status(dir: string, call: { args: CommandArgs; io: CliIo }): number {
  if (!isFile(join(dir, MANIFEST_FILE)) && isFile(join(dir, "_slurm", "llem.sbatch"))) {
    call.io.out(`${dir}: no shard has started yet (the array's tasks create the study when they start)\n`);
    return EXIT.ok;
  }
  const manifest = readManifest(dir);
  if (manifest.shards === undefined) {
    throw new UsageError(
      `${dir} is a study of its own, not one split into shards`,
      `llem results ${dir} shows its runs`,
    );
  }
  const shards = shardProgress(dir, { manifest, runs: readStoredPlan(dir).runs });
  if (call.args.values.json) {
    call.io.out(
      JSON.stringify({ dir, status: manifest.status, summary: manifest.summary, shards }, null, 2) + "\n",
    );
    return EXIT.ok;
  }
  const rows = shards.map((s) => [
    String(s.shard),
    s.status,
    `${s.completed}/${s.runs}`,
    String(s.failed),
    String(s.pending),
    s.pid === null ? "" : `${s.pid}@${s.hostname ?? "?"}`,
    s.endTime ?? s.startedAt ?? "",
  ]);
  const lines = formatTable(["shard", "status", "completed", "failed", "left", "llem", "since"], rows, "");
  const { summary } = manifest;
  call.io.out(
    `${dir}: ${manifest.status}, ${summary.completed}/${summary.total_experiments} runs completed, ` +
      `${summary.failed} failed, ${summary.pending} left\n${lines.join("\n")}\n`,
  );
  return EXIT.ok;
}

function positiveInt(value: string | boolean | undefined, option: string): number | null {
  if (value === undefined) return null;
  const text = String(value);
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected a whole number of 1 or more`, null);
  }
  return Number(text);
}
