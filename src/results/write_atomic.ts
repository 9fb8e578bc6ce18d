import { basename, dirname, join } from "node:path";
import { probeWritable, writeFailure } from "./write_error.ts";

/** Mode of every file llem writes: readable by everyone, so a study written under sudo stays readable. */
export const RESULT_FILE_MODE = 0o644;

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /** Permission bits of the final file, applied exactly (the umask does not narrow them); default 0644. */
  mode?: number;
}

/** Suffix of the temporary files the atomic writers leave behind when killed mid-write; readers skip them. */
export const TEMPORARY_SUFFIX = ".tmp";

/**
 * A temporary name beside `path` (same directory, so the final rename stays on one file system): hidden,
 * unique to this process and call, ending in `.tmp`.
 */
export function temporaryPathFor(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  return join(dirname(path), `.${basename(path)}.${Deno.pid}.${random}${TEMPORARY_SUFFIX}`);
}

/**
 * Replace `path` with `data` atomically: write a temporary file in the same directory, fsync it, rename
 * it over `path`, fsync the directory. A reader, or a crash at any moment, sees the old file or the new
 * one, never a mix; a crash can at worst leave a `.tmp` file beside it.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temporary = temporaryPathFor(path);
  commitOrDiscard(path, temporary, options, () => {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const file = Deno.openSync(temporary, {
      write: true,
      createNew: true,
      mode: options.mode ?? RESULT_FILE_MODE,
    });
    writeSynced(file, bytes);
  });
}

/** Write all of `bytes` to an open file, sync it to the disk, and close it. */
export function writeSynced(file: Deno.FsFile, bytes: Uint8Array): void {
  try {
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    file.syncSync();
  } finally {
    file.close();
  }
}

/** Write `value` as pretty JSON (two-space indent, final newline) with writeFileAtomic(). */
export function writeJsonAtomic(path: string, value: unknown, options: AtomicWriteOptions = {}): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", options);
}

/**
 * Let `produce` write a file at a temporary path beside `path` (e.g. DuckDB's COPY ... TO), then fsync
 * it and rename it over `path` as writeFileAtomic() does. The temporary file is removed when `produce`
 * throws.
 */
export async function withAtomicFile(
  path: string,
  produce: (temporaryPath: string) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporaryPathFor(path);
  try {
    await produce(temporary);
  } catch (error) {
    throw discarded(path, temporary, error);
  }
  commitOrDiscard(path, temporary, options, () => {
    const file = Deno.openSync(temporary, { read: true, write: true });
    try {
      file.syncSync();
    } finally {
      file.close();
    }
  });
}

/** Run `write` (which leaves the complete, synced file at `temporary`), then move it over `path`. */
function commitOrDiscard(
  path: string,
  temporary: string,
  options: AtomicWriteOptions,
  write: () => void,
): void {
  try {
    write();
    // Deno.openSync's mode is narrowed by the umask, and a producer such as DuckDB picks its own mode.
    if (Deno.build.os !== "windows") Deno.chmodSync(temporary, options.mode ?? RESULT_FILE_MODE);
    Deno.renameSync(temporary, path);
    syncDirectory(dirname(path));
  } catch (error) {
    throw discarded(path, temporary, error);
  }
}

/**
 * fsync a directory so a rename inside it survives a power loss. Linux and macOS allow it; Windows
 * cannot open a directory as a file, and some file systems refuse, so failure is not an error there:
 * the rename itself is still atomic.
 */
export function syncDirectory(dir: string): void {
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(dir, { read: true });
  } catch {
    return;
  }
  try {
    handle.syncSync();
  } catch {
    // EINVAL on file systems that cannot sync directories (some FUSE and network mounts).
  } finally {
    handle.close();
  }
}

/**
 * Remove the temporary file of a failed write and say what failed, the write's own error as the cause:
 * DiskFull or NotWritable when the file system refused, else an Error naming the file.
 */
function discarded(path: string, temporary: string, error: unknown): Error {
  try {
    Deno.removeSync(temporary);
  } catch {
    // Absent (the failure came before it was created) or not removable: a stale .tmp is harmless.
  }
  // A producer such as DuckDB says "No space left" only in its message: ask the file system instead.
  const typed = writeFailure(error, path) ??
    ((error as { code?: unknown })?.code === undefined ? probeWritable(dirname(path), path) : null);
  if (typed) return typed;
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`Cannot write "${path}": ${message}`, { cause: error });
}
