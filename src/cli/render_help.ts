import type { Command, CommandEntry } from "./command.ts";
import { formatTable } from "./format_table.ts";

/** Exit codes, as documented in help and README. */
export const EXIT_CODES_TEXT =
  "exit codes: 0 ok, 1 bug, 2 bad input, 3 environment not ready, 4 measurement failed, 130 interrupted";

/** `llem --help`. */
export function renderMainHelp(commands: readonly CommandEntry[], version: string): string {
  return [
    `llem ${version}: measure the energy, throughput and latency of LLM inference on NVIDIA GPUs`,
    "",
    "usage: llem <command> [options]",
    "",
    "commands:",
    ...formatTable(["", ""], commands.map((c) => [c.name, c.summary])).slice(1),
    "",
    "options:",
    "  -h, --help     show help; llem <command> --help shows a command's options and examples",
    "  -V, --version  show the version and git commit",
    "",
    EXIT_CODES_TEXT,
    "",
  ].join("\n");
}

/** `llem <command> --help`. */
export function renderCommandHelp(command: Command): string {
  const options = command.options.map((o) => [
    `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`,
    o.description,
  ]);
  options.push(["-h, --help", "show this help"]);
  return [
    `usage: llem ${command.name} ${command.usage}`.trimEnd(),
    "",
    wrap(command.description, 100),
    "",
    "options:",
    ...formatTable(["", ""], options).slice(1),
    "",
    "examples:",
    ...command.examples.flatMap(([line, comment]) => [`  # ${comment}`, `  ${line}`]),
    "",
  ].join("\n");
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("\n");
}
