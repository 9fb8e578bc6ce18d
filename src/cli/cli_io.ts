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

/** The process's real standard streams and environment. */
export function denoIo(): CliIo {
  const encoder = new TextEncoder();
  return {
    out: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    err: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}
