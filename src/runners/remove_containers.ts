import { containerRemoveArgv } from "./container_argv.ts";
import { runProgram } from "./run_program.ts";

/**
 * Remove containers (by full id) at once, one at a time, and return those that are gone afterwards, removed
 * here or already gone. One at a time because Podman 4.3's `rm --force A B` removes neither, and exits 0,
 * when B no longer exists, which a `--rm` container finishing its own removal makes likely.
 */
export async function removeContainers(
  runtime: "docker" | "podman",
  ids: readonly string[],
): Promise<string[]> {
  for (const id of ids) await removeContainer(runtime, id);
  const listed = await runProgram([runtime, "ps", "--all", "--quiet", "--no-trunc"], { timeoutMs: 30_000 });
  if (listed.code !== 0) return [];
  const left = new Set(listed.stdout.split("\n").map((line) => line.trim()));
  return ids.filter((id) => !left.has(id));
}

async function removeContainer(runtime: "docker" | "podman", id: string): Promise<void> {
  // A `--rm` container that was just killed may answer "removal already in progress" (Docker): try again
  // a few times, then leave it to the runtime (it is gone or going either way).
  for (let attempt = 0; attempt < 5; attempt++) {
    const removed = await runProgram(containerRemoveArgv(runtime, id), { timeoutMs: 30_000 });
    if (removed.code === 0 || !/already in progress/.test(removed.stderr)) return;
    await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
  }
}
