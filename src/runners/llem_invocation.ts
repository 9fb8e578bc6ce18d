import { fileURLToPath } from "node:url";
import { processPaths, runningFrom } from "./running_from.ts";

/** The permissions llem runs with: the `llem` task of deno.json and the compiled binary's. */
export const LLEM_RUN_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
] as const;

/**
 * How another process starts this same llem (a Slurm job script): the compiled binary itself, or the
 * `deno` that runs this checkout with llem's permissions and its main module. Absolute paths, so the job
 * runs the same llem wherever its working folder is.
 */
export function llemInvocation(): string[] {
  const paths = processPaths();
  const from = runningFrom(paths);
  if (from.kind !== "source") return [from.binary];
  return [paths.execPath, "run", ...LLEM_RUN_PERMISSIONS, fileURLToPath(paths.mainModule)];
}
