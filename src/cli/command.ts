import type { CliIo } from "./cli_io.ts";

/** One command-line option of a command. */
export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** `boolean` flags take no value. */
  type: "boolean" | "string";
  /** Value placeholder shown in help, e.g. `FILE`. */
  value?: string;
  /** One line for the help text. */
  description: string;
}

/** Parsed arguments of one command. */
export interface CommandArgs {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** A `llem` subcommand: its help text and what it does. Adding a command = one file + one registry line. */
export interface Command {
  name: string;
  /** Argument synopsis after the command name, e.g. `CONFIG [--json]`. */
  usage: string;
  /** A paragraph for `llem <command> --help`. */
  description: string;
  /** Positional argument names, in order; a trailing `?` marks an optional one. */
  positionals: string[];
  options: OptionSpec[];
  /** Example command lines, each with a comment. */
  examples: [string, string][];
  /** Run the command; returns the exit code. */
  run(args: CommandArgs, io: CliIo): Promise<number> | number;
}

/** A registry entry: enough for `llem --help`, with the command itself loaded only when used. */
export interface CommandEntry {
  name: string;
  /** One line for `llem --help`. */
  summary: string;
  /** Import the command's module (kept lazy so `llem --help` starts fast). */
  load(): Promise<Command>;
  /**
   * Its module imports DuckDB (whose addon loads with it): the single binary prepares DuckDB's library
   * first (prepareDuckdb()). command_registry_test.ts checks this against each module's imports.
   */
  usesDuckdb?: true;
}
