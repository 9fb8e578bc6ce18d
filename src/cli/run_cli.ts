import { ConfigError, formatProblem } from "../config/config_error.ts";
import { didYouMean } from "../config/did_you_mean.ts";
import type { CliIo } from "./cli_io.ts";
import { COMMANDS } from "./command_registry.ts";
import { parseCommandArgs } from "./parse_command_args.ts";
import { prepareDuckdb } from "./prepare_duckdb.ts";
import { renderCommandHelp, renderMainHelp } from "./render_help.ts";
import { LlemError } from "../errors/llem_error.ts";
import { UsageError } from "../errors/usage_error.ts";
import { EXIT, exitCodeOf } from "./exit_code.ts";
import { gitCommit, LLEM_VERSION } from "../study/llem_version.ts";

/** Run `llem` with these arguments; returns the exit code (chosen by exit_code.ts). */
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
  if (entry.usesDuckdb) prepareDuckdb(io.env);
  const command = await entry.load();
  const args = parseCommandArgs(command, rest);
  if (args === undefined) {
    io.out(renderCommandHelp(command));
    return EXIT.ok;
  }
  return await command.run(args, io);
}

/** Print what went wrong: a located message and its hint for an ordinary condition, a trace for a bug. */
function reportError(error: unknown, io: CliIo): number {
  const code = exitCodeOf(error);
  if (error instanceof ConfigError) {
    const lines = error.problems.flatMap((
      p,
    ) => [`error: ${formatProblem(p)}`, ...(p.hint ? [`hint: ${p.hint}`] : [])]);
    if (error.problems.length > 1) lines.push(`${error.problems.length} problems found; nothing was run`);
    io.err(lines.join("\n") + "\n");
  } else if (error instanceof LlemError) {
    io.err(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
  } else if (code === EXIT.bug) {
    const detail = error instanceof Error ? error.stack ?? error.message : String(error);
    io.err(
      `error: unexpected failure, which is a bug in llem; please report it with this trace\n${detail}\n`,
    );
  }
  return code;
}
