import { LLEM_LABEL } from "./harness_launch.ts";
import { runProgram } from "./run_program.ts";

/**
 * Remove llem's containers (by label) left by an earlier llem that was killed: at start-up, on exit
 * and on signals. Only containers of sessions not in `keep` are removed. Returns the removed ids.
 */
export async function reapContainers(
  runtime: "docker" | "podman",
  keep: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const listed = await runProgram([
    runtime,
    "ps",
    "--all",
    "--filter",
    `label=${LLEM_LABEL}`,
    "--format",
    `{{.ID}} {{.Label "${LLEM_LABEL}"}}`,
  ], { timeoutMs: 10_000 });
  if (listed.code !== 0) return [];
  const stale = listed.stdout.trim().split("\n").filter(Boolean).map((line) => line.split(" "))
    .filter(([, session]) => !keep.has(session ?? "")).map(([id]) => id!);
  if (stale.length === 0) return [];
  // `--rm` containers that were just killed may answer "removal already in progress": try again a
  // few times, then leave them to the daemon (they are gone or going either way).
  for (let attempt = 0; attempt < 5; attempt++) {
    const removed = await runProgram([runtime, "rm", "--force", ...stale], { timeoutMs: 30_000 });
    if (removed.code === 0 || !/already in progress/.test(removed.stderr)) break;
    await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
  }
  return stale;
}
