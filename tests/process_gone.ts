/** Whether processes have ended, for tests that kill llem and check what it leaves running. */
import { runProgram } from "../src/runners/run_program.ts";

/**
 * Whether process `pid` has ended. A zombie has ended too: it only waits for its parent to reap it (an
 * orphan's new parent may be a PID 1 that never does). Asks `ps`: Deno reads /proc only with --allow-all.
 */
export async function processGone(pid: number): Promise<boolean> {
  const state = await runProgram(["ps", "-o", "stat=", "-p", String(pid)], { timeoutMs: 5_000 });
  if (state.startError) throw new Error(`cannot ask ps about process ${pid}: ${state.startError}`);
  return state.code !== 0 || state.stdout.trim().startsWith("Z");
}

/** Poll until every pid has ended; fail with the ones still alive after `seconds`. */
export async function untilGone(pids: readonly number[], seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (true) {
    const alive = [];
    for (const pid of pids) if (!(await processGone(pid))) alive.push(pid);
    if (alive.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running ${seconds} s later: ${alive.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Poll `check` until it holds; fail with `what` after `seconds`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  options: { seconds: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${options.what}: not within ${options.seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
