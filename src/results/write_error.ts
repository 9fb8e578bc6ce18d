import { UsageError } from "../errors/usage_error.ts";
import { join } from "node:path";
import { fileSystemRefusal } from "../errors/file_system_refusal.ts";
import { LlemError } from "../errors/llem_error.ts";

/** The file system holding `path` is full (ENOSPC, or the user's quota). */
export class DiskFull extends LlemError {
  readonly kind = "not_ready";

  constructor(readonly path: string, options?: ErrorOptions) {
    super(
      `Cannot write "${path}": no space left on its file system`,
      "free some space, or choose another output folder with --output",
      options,
    );
  }
}

/** llem may not write `path`: a read-only file system, or no permission. */
export class NotWritable extends LlemError {
  readonly kind = "not_ready";

  constructor(readonly path: string, readonly reason: string, options?: ErrorOptions) {
    super(
      `Cannot write "${path}": ${reason}`,
      "choose a folder llem can write with --output, or fix its permissions",
      options,
    );
  }
}

/**
 * The typed error a failed write of `path` means: DiskFull or NotWritable where the operating system's
 * error code says so (Deno's errors carry it as `code`), else null.
 */
export function writeFailure(error: unknown, path: string): DiskFull | NotWritable | null {
  if (error instanceof DiskFull || error instanceof NotWritable) return error;
  const refusal = fileSystemRefusal((error as { code?: unknown } | null)?.code);
  if (!refusal) return null;
  return refusal.full
    ? new DiskFull(path, { cause: error })
    : new NotWritable(path, refusal.reason, { cause: error });
}

/** Bytes the write probe writes: enough that a file system with less free is as good as full. */
const PROBE_BYTES = 1024 * 1024;

/**
 * Whether llem can write in `dir`: null when it can, else DiskFull or NotWritable naming `path` (a file
 * in `dir` that was being written; `dir` itself by default). A library that writes files itself (DuckDB)
 * reports a full disk only in its message text; this probe asks the file system instead, by writing and
 * removing a 1 MiB file.
 */
export function probeWritable(dir: string, path = dir): DiskFull | NotWritable | null {
  const probe = join(dir, `.llem-write-probe.${Deno.pid}.tmp`);
  try {
    Deno.writeFileSync(probe, new Uint8Array(PROBE_BYTES));
    return null;
  } catch (error) {
    return writeFailure(error, path);
  } finally {
    try {
      Deno.removeSync(probe);
    } catch { /* never created */ }
  }
}

/** Create a folder (and its parents), with a typed error when the file system refuses. */
export function makeDirectory(path: string): void {
  try {
    Deno.mkdirSync(path, { recursive: true });
  } catch (error) {
    // A file where a folder (or one of its parents) should be: what the user named, not a fault of llem's.
    if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
      throw new UsageError(
        `cannot make the folder "${path}": it, or a folder above it, is a file`,
        "name a folder that does not exist, or an existing folder",
      );
    }
    throw writeFailure(error, path) ?? error;
  }
}
