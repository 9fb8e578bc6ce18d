import { shellQuote } from "./shell_quote.ts";

/** How often a task requeues itself before it gives up (the shard stays resumable by hand). */
export const MAX_REQUEUES = 20;

/** What an sbatch array script for a sharded study needs. */
export interface SbatchScript {
  jobName: string;
  /** Array tasks: one shard each, 0 to shards-1. */
  shards: number;
  /** How this llem is started (llemInvocation()), absolute paths. */
  llem: readonly string[];
  /** The study file and the study's shared directory, absolute. */
  configPath: string;
  studyDir: string;
  /** Where each task's output goes (created before submission: Slurm does not make folders). */
  logDir: string;
  /** The folder llem slurm ran in: each task runs there, so relative paths in the config mean the same. */
  workDir: string;
  partition: string | null;
  gpusPerTask: number | null;
  time: string | null;
  account: string | null;
  /** More sbatch options, each its own #SBATCH line. */
  extra: readonly string[];
  /** Seconds before the time limit at which the task is told to stop (and requeues itself). */
  signalSeconds: number;
  /** The flags that shaped the plan (--cycles, --order, --gpus, --runner): every task gives the same. */
  planFlags: readonly string[];
}

/**
 * An sbatch array script: task i runs `llem run CONFIG DIR --shard i/N`. It is requeueable and told to
 * stop ahead of its time limit; a task stopped by SIGTERM (that signal, `scancel --signal=TERM`, or
 * pre-emption) lets llem stop cleanly, then requeues itself, and the requeued task resumes its shard.
 */
export function renderSbatchScript(script: SbatchScript): string {
  const options = [
    `--job-name=${script.jobName}`,
    `--array=0-${script.shards - 1}`,
    "--requeue",
    `--signal=B:TERM@${script.signalSeconds}`,
    "--open-mode=append",
    `--chdir="${script.workDir.replaceAll('"', '\\"')}"`,
    // Quoted for a path with spaces; a % of the path doubled, since Slurm expands %a and the like.
    `--output="${script.logDir.replaceAll("%", "%%").replaceAll('"', '\\"')}/shard-%a.out"`,
    ...(script.partition ? [`--partition=${script.partition}`] : []),
    ...(script.gpusPerTask ? [`--gres=gpu:${script.gpusPerTask}`] : []),
    ...(script.time ? [`--time=${script.time}`] : []),
    ...(script.account ? [`--account=${script.account}`] : []),
    ...script.extra,
  ];
  const command = [
    ...script.llem,
    "run",
    script.configPath,
    script.studyDir,
    "--shard",
    `"$SLURM_ARRAY_TASK_ID/${script.shards}"`,
    ...script.planFlags,
  ].map((word) => word.startsWith('"$') ? word : shellQuote(word)).join(" ");
  return [
    "#!/bin/bash",
    `# One study split over ${script.shards} array tasks, written by llem slurm: each task runs one shard`,
    `# into ${script.studyDir}; \`llem slurm status ${script.studyDir}\` shows each shard's progress.`,
    ...options.map((option) => `#SBATCH ${option}`),
    "",
    "# SIGTERM (the time limit's warning, scancel --signal=TERM, pre-emption) goes to llem, which stops the",
    "# run cleanly (exit 130); the task then requeues itself and its next start resumes the shard.",
    "llem_pid=",
    'trap \'[ -n "$llem_pid" ] && kill -TERM "$llem_pid" 2>/dev/null\' TERM',
    `${command} &`,
    "llem_pid=$!",
    'wait "$llem_pid"; status=$?',
    'while kill -0 "$llem_pid" 2>/dev/null; do wait "$llem_pid"; status=$?; done',
    "# At most MAX_REQUEUES times: a run longer than the time limit would otherwise requeue forever.",
    `if [ "$status" -eq 130 ] && [ "\${SLURM_RESTART_COUNT:-0}" -lt ${MAX_REQUEUES} ]; then`,
    '  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
    "fi",
    'exit "$status"',
    "",
  ].join("\n");
}
