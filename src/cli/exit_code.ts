import { type ErrorKind, LlemError } from "../errors/llem_error.ts";
import type { StudyStatus } from "../results/manifest_schema.ts";

/** llem's exit codes: 0 ok; 1 a bug; 2 bad input; 3 not ready; 4 a measurement failed; 130 interrupted. */
export const EXIT = { ok: 0, bug: 1, badInput: 2, notReady: 3, failed: 4, interrupted: 130 } as const;

/** The exit code of each kind of ordinary condition. */
const EXIT_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  bad_input: EXIT.badInput,
  not_ready: EXIT.notReady,
  measurement_failed: EXIT.failed,
  interrupted: EXIT.interrupted,
};

/**
 * The one mapping from what went wrong to an exit code: an LlemError by its kind, a closed pipe (`llem
 * monitor | head`) as success, anything else as a bug.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof LlemError) return EXIT_OF_KIND[error.kind];
  if (error instanceof Deno.errors.BrokenPipe) return EXIT.ok;
  return EXIT.bug;
}

/** How a study ended, as an exit code: interrupted 130, any failed or unfinished run 4, else 0. */
export function studyExitCode(study: { status: StudyStatus; failedRuns: number }): number {
  if (study.status === "interrupted") return EXIT.interrupted;
  return study.status === "completed" && study.failedRuns === 0 ? EXIT.ok : EXIT.failed;
}
