import { ConfigError, formatProblem } from "../config/config_error.ts";
import { didYouMean } from "../config/did_you_mean.ts";
import type { CliIo } from "./cli_io.ts";
import { COMMANDS } from "./command_registry.ts";
import { parseCommandArgs } from "./parse_command_args.ts";
import { renderCommandHelp, renderMainHelp } from "./render_help.ts";
import { UsageError } from "./usage_error.ts";
import { NotReadyError } from "./not_ready_error.ts";
import { gitCommit, LLEM_VERSION } from "./version_info.ts";

/** Exit codes (see STYLE.md). */
export const EXIT = { ok: 0, bug: 1, badInput: 2, notReady: 3, failed: 4, interrupted: 130 } as const;

/** Run `llem` with these arguments; returns the exit code. The only place that decides exit codes. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return reportError(error, io);
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(renderMainHelp(COMMANDS, LLEM_VERSION));
    io.err('error: no command given\nhint: try "llem plan examples/study.yaml", or see the commands above\n');
    return EXIT.badInput;
  }
  if (first === "-h" || first === "--help") {
    io.out(renderMainHelp(COMMANDS, LLEM_VERSION));
    return EXIT.ok;
  }
  if (first === "-V" || first === "--version") {
    io.out(`llem ${LLEM_VERSION} (commit ${gitCommit(io.env)})\n`);
    return EXIT.ok;
  }
  if (first === "help") return dispatch(rest.length ? [rest[0]!, "--help"] : ["--help"], io);
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    const names = COMMANDS.map((c) => c.name);
    const suggestion = first.startsWith("-") ? undefined : didYouMean(first, names);
    throw new UsageError(
      first.startsWith("-") ? `unknown option "${first}"` : `unknown command "${first}"`,
      suggestion ? `did you mean "llem ${suggestion}"?` : `commands: ${names.join(", ")} (see "llem --help")`,
    );
  }
  const command = await entry.load();
  const args = parseCommandArgs(command, rest);
  if (args === undefined) {
    io.out(renderCommandHelp(command));
    return EXIT.ok;
  }
  return await command.run(args, io);
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof ConfigError) {
    const lines = error.problems.flatMap((
      p,
    ) => [`error: ${formatProblem(p)}`, ...(p.hint ? [`hint: ${p.hint}`] : [])]);
    if (error.problems.length > 1) lines.push(`${error.problems.length} problems found; nothing was run`);
    io.err(lines.join("\n") + "\n");
    return EXIT.badInput;
  }
  if (error instanceof NotReadyError) {
    io.err(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    return EXIT.notReady;
  }
  // Matched by name, not instanceof, so that `llem --help` does not load the GPU modules.
  if (error instanceof Error && error.name === "GpuSelectionError") {
    io.err(`error: ${error.message}\nhint: ${(error as Error & { hint: string }).hint}\n`);
    return EXIT.badInput;
  }
  if (error instanceof Error && error.name === "GpuLostError") {
    io.err(
      `error: ${error.message}\nhint: check the GPU with nvidia-smi; a lost GPU usually needs a reset\n`,
    );
    return EXIT.failed;
  }
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    return EXIT.badInput;
  }
  // The reader went away (`llem monitor | head`): nothing is wrong and nothing more can be said.
  if (error instanceof Deno.errors.BrokenPipe) return EXIT.ok;
  const detail = error instanceof Error ? error.stack ?? error.message : String(error);
  io.err(`error: unexpected failure, which is a bug in llem; please report it with this trace\n${detail}\n`);
  return EXIT.bug;
}
