import { parseArgs } from "node:util";
import type { Command, CommandArgs } from "./command.ts";
import { UsageError } from "../errors/usage_error.ts";

/** Parse a command's arguments strictly; `undefined` means `--help` was asked for. */
export function parseCommandArgs(command: Command, argv: string[]): CommandArgs | undefined {
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const option of command.options) {
    options[option.name] = { type: option.type, ...(option.short ? { short: option.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util messages look like "Unknown option '--jsn'. To specify a positional argument starting ...".
    const message = (error as Error).message.split("\n")[0]!.split(". ")[0]!.replace(/\.$/, "").replace(
      /'/g,
      '"',
    );
    throw new UsageError(
      message.charAt(0).toLowerCase() + message.slice(1),
      `see "llem ${command.name} --help"`,
    );
  }
  if (parsed.values.help) return undefined;
  const required = command.positionals.filter((p) => !p.endsWith("?"));
  if (parsed.positionals.length < required.length) {
    const missing = required.slice(parsed.positionals.length).join(" ");
    throw new UsageError(`missing ${missing}`, `usage: llem ${command.name} ${command.usage}`);
  }
  // A last positional named "DIR..." takes one or more values ("DIR...?": none or more).
  const variadic = command.positionals.at(-1)?.replace(/\?$/, "").endsWith("...") ?? false;
  if (!variadic && parsed.positionals.length > command.positionals.length) {
    const extra = parsed.positionals.slice(command.positionals.length).map((p) => `"${p}"`).join(" ");
    throw new UsageError(`unexpected argument ${extra}`, `usage: llem ${command.name} ${command.usage}`);
  }
  return { positionals: parsed.positionals, values: parsed.values as CommandArgs["values"] };
}
