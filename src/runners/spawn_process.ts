import { LlemError } from "../errors/llem_error.ts";
import { SECRET_NAMES } from "./secrets_file.ts";

/** Options for starting a child process. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /**
   * Only these of llem's variables, plus `env`: for a runtime client whose own environment reaches into
   * its container (Apptainer's). All of llem's variables when absent; secrets never.
   */
  inherit?: readonly string[];
  cwd?: string;
  stdin?: "piped" | "null";
  /**
   * Start the program in a session and process group of its own (setsid), so that the group (a harness
   * and the engine's workers) can be killed as one, and a terminal's Ctrl-C reaches llem only.
   */
  processGroup?: boolean;
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
 * The environment a child starts with: `env`, over llem's own (or the part of it named by `inherit`), never
 * with llem's secrets (SECRET_NAMES): a runtime client (docker, podman) has no use for HF_TOKEN, and
 * whatever is in a process's environment is readable by its uid (/proc/PID/environ). An engine is given
 * secrets by file only.
 */
export function childEnv(options: Pick<SpawnOptions, "env" | "inherit">): Record<string, string> {
  const own = Deno.env.toObject();
  const names = options.inherit ?? Object.keys(own);
  const inherited = Object.fromEntries(names.filter((name) => name in own).map((name) => [name, own[name]!]));
  for (const name of SECRET_NAMES) delete inherited[name];
  return { ...inherited, ...options.env };
}

/**
 * Start a program from an argv array (never a shell string), stdout and stderr piped, with childEnv(). The
 * one place in llem that creates processes; runProgram and harness sessions build on it.
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
      // Always a whole environment: inheriting llem's would bring its secrets along.
      clearEnv: true,
      env: childEnv(options),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.processGroup ? { detached: true } : {}),
    }).spawn();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "it is not installed (not on PATH)"
      : (error as Error).message;
    throw new SpawnError(program, reason, { cause: error });
  }
}
