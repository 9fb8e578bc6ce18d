import { runProgram } from "./run_program.ts";

/** A kernel file's text, or why it could not be read. */
export type SystemFileText = { text: string } | { unreadable: string };

/**
 * Read a file under /proc or /sys. Deno lets a program open files there only with --allow-all (it treats
 * them as special: /proc/self/mem, /proc/PID/environ and the like), which llem does not run with; `cat`,
 * a process of its own, is not bound by Deno's permissions, and llem may start processes.
 */
export async function readSystemFile(path: string): Promise<SystemFileText> {
  const read = await runProgram(["cat", "--", path], { timeoutMs: 5_000 });
  if (read.code === 0) return { text: read.stdout };
  const why = read.startError ??
    (read.timedOut
      ? "cat did not finish within 5 s"
      // cat says "/usr/bin/cat: PATH: No such file or directory": keep what follows.
      : read.stderr.trim().split("\n").at(-1)?.replace(/^\S*cat: /, "").replace(`${path}: `, "") ||
        `cat exited with code ${read.code}`);
  return { unreadable: why };
}
