import { UsageError } from "../errors/usage_error.ts";

/** How an image archive's first bytes begin: a tar header, or a compressed stream `docker load` reads. */
const MAGIC: readonly { format: string; offset: number; bytes: readonly number[] }[] = [
  // POSIX and GNU tar headers carry "ustar" at byte 257; docker save and podman save write them.
  { format: "tar", offset: 257, bytes: [0x75, 0x73, 0x74, 0x61, 0x72] },
  { format: "gzip", offset: 0, bytes: [0x1f, 0x8b] },
  { format: "bzip2", offset: 0, bytes: [0x42, 0x5a, 0x68] },
  { format: "xz", offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { format: "zstd", offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] },
];

/** The archive format of a file's first 512 bytes (tar, gzip, bzip2, xz, zstd), or null for anything else. */
export function archiveFormat(head: Uint8Array): string | null {
  const found = MAGIC.find(({ offset, bytes }) => bytes.every((byte, i) => head[offset + i] === byte));
  return found?.format ?? null;
}

/**
 * That `path` is a file an image can be loaded from, before any runtime is asked: a regular file that
 * begins as a tar archive or a compressed stream. UsageError (exit 2) naming what it is otherwise, the file
 * called `shown` (as the user wrote it).
 */
export function checkImageArchive(path: string, shown = path): void {
  const hint = 'give a file written by "llem images save" or "docker save"';
  let file: Deno.FsFile;
  try {
    if (!Deno.statSync(path).isFile) throw new UsageError(`"${shown}" is not a file`, hint);
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UsageError(`"${shown}" does not exist`, hint);
    // A path through a file, an unreadable archive: the user's to fix, never a bug of llem's.
    if (error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot read "${shown}": ${(error as Error).message}`, hint);
    }
    throw error;
  }
  const head = new Uint8Array(512);
  try {
    let filled = 0;
    while (filled < head.length) {
      const read = file.readSync(head.subarray(filled));
      if (read === null) break;
      filled += read;
    }
  } finally {
    file.close();
  }
  if (archiveFormat(head) === null) {
    throw new UsageError(`"${shown}" is not an image archive (neither tar nor a compressed tar)`, hint);
  }
}
