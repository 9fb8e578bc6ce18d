import { runProgram } from "./run_program.ts";

/** What `sbatch --parsable SCRIPT` did: the job's id, or why there is none. */
export type SbatchSubmission = { jobId: string } | { missing: string } | { refused: string };

/** Submit a job script to Slurm; `missing` when sbatch is not installed, `refused` when Slurm said no. */
export async function submitSbatch(scriptPath: string): Promise<SbatchSubmission> {
  const result = await runProgram(["sbatch", "--parsable", scriptPath], { timeoutMs: 60_000 });
  if (result.code === null) return { missing: result.startError ?? "sbatch could not be started" };
  if (result.code !== 0 || result.timedOut) {
    return { refused: result.stderr.trim() || `sbatch exited with code ${result.code}` };
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  return { jobId: result.stdout.trim().split(";")[0]! };
}
