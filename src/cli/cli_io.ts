/** Where the CLI writes and what it knows about its surroundings; real in `main.ts`, captured in tests. */
export interface CliIo {
  /** Write to standard output. */
  out(text: string): void;
  /** Write to standard error. */
  err(text: string): void;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Working directory, for resolving relative paths. */
  cwd: string;
}

/** The process's real standard streams and environment; every write passes through `terminalText`. */
export function denoIo(): CliIo {
  const encoder = new TextEncoder();
  return {
    out: (text) => writeAll(Deno.stdout, encoder.encode(terminalText(text))),
    err: (text) => writeAll(Deno.stderr, encoder.encode(terminalText(text))),
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/**
 * Redraw sequences a write may begin with: carriage return, erase line (ESC [2K), cursor up (ESC [nA),
 * erase below (ESC [J). llem's live displays (run's status line, monitor's table) begin their writes so.
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const REDRAW_PREFIX = /^(?:\r|\x1b\[2K|\x1b\[[0-9]{1,4}A|\x1b\[J)+/;

/**
 * C0 and C1 control characters but newline and tab, and the bidirectional controls that reorder what a
 * terminal shows ("Trojan source").
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as it may reach a terminal: control characters shown as `\u001b`-style escapes, so that a value
 * from a config, a model name or an engine's log cannot command the terminal (set its title, move the
 * cursor, recolour or hide text). A carriage return shows as a line break; only a write's own leading
 * redraw sequences pass as they are. Escapes are valid inside JSON strings, so JSON output stays JSON.
 */
export function terminalText(text: string): string {
  const prefix = REDRAW_PREFIX.exec(text)?.[0] ?? "";
  const rest = text.slice(prefix.length).replace(/\r\n?/g, "\n");
  return prefix + rest.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
