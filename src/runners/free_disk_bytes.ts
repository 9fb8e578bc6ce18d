import { runProgram } from "./run_program.ts";

/** Free bytes on the file system holding `path` (POSIX `df -Pk`), or null when it cannot be told. */
export async function freeDiskBytes(path: string): Promise<number | null> {
  const result = await runProgram(["df", "-Pk", path], { timeoutMs: 5000 });
  if (result.code !== 0) return null;
  const fields = result.stdout.trim().split("\n").at(-1)?.split(/\s+/) ?? [];
  const availableKib = Number(fields[3]);
  return Number.isFinite(availableKib) ? availableKib * 1024 : null;
}
