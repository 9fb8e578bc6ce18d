import { SpawnError, spawnProcess } from "./spawn_process.ts";

/** What a finished (or killed) command left behind. */
export interface ProgramResult {
  /** Exit code, or null when the program could not be started. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why the program could not be started (e.g. not installed). */
  startError: string | null;
}

/**
 * Run a program with an argv array (never a shell string) and collect its output, killing it after
 * `timeoutMs`.
 */
export async function runProgram(
  argv: readonly string[],
  options: { timeoutMs?: number; env?: Record<string, string>; inherit?: readonly string[]; cwd?: string } =
    {},
): Promise<ProgramResult> {
  let child: Deno.ChildProcess;
  try {
    child = spawnProcess(argv, options);
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    const reason = error.reason;
    return { code: null, stdout: "", stderr: "", timedOut: false, startError: `${error.program}: ${reason}` };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }, options.timeoutMs ?? 30_000);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      timedOut,
      startError: null,
    };
  } finally {
    clearTimeout(timer);
  }
}
