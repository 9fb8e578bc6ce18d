import { LlemError } from "../errors/llem_error.ts";

/** Options for starting a child process. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /** Start from an empty environment plus `env` (containers get only what they are given). */
  clearEnv?: boolean;
  cwd?: string;
  stdin?: "piped" | "null";
}

/** Why a program could not be started (the environment lacks it: exit 3). */
export class SpawnError extends LlemError {
  readonly kind = "not_ready";
  readonly program: string;
  /** Why, without the program's name. */
  readonly reason: string;

  constructor(program: string, reason: string, options?: ErrorOptions) {
    super(`cannot start ${program}: ${reason}`, null, options);
    this.program = program;
    this.reason = reason;
  }
}

/**
 * Start a program from an argv array (never a shell string), stdout and stderr piped. The one
 * place in llem that creates processes; runProgram and harness sessions build on it.
 */
export function spawnProcess(argv: readonly string[], options: SpawnOptions = {}): Deno.ChildProcess {
  const [program, ...args] = argv;
  if (!program) throw new SpawnError("(nothing)", "empty argv");
  try {
    return new Deno.Command(program, {
      args,
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
      ...(options.clearEnv ? { clearEnv: true } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "it is not installed (not on PATH)"
      : (error as Error).message;
    throw new SpawnError(program, reason, { cause: error });
  }
}
