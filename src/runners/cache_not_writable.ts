import { fileSystemRefusal } from "../errors/file_system_refusal.ts";
import { LlemError } from "../errors/llem_error.ts";

/**
 * llem cannot write a file it keeps in its cache (`$LLEM_CACHE_DIR`, else `$XDG_CACHE_HOME/llem`, else
 * `~/.cache/llem`): the harness copy, the single binary's native library. The machine is not ready (exit 3).
 */
export class CacheNotWritable extends LlemError {
  readonly kind = "not_ready";

  constructor(readonly path: string, readonly reason: string, options?: ErrorOptions) {
    super(
      `Cannot write llem's cache "${path}": ${reason}`,
      'set LLEM_CACHE_DIR to a folder llem can write; on a cluster a node-local one, e.g. LLEM_CACHE_DIR="$TMPDIR/llem-cache"',
      options,
    );
  }
}

/** Codes that mean a part of the cache's path is not a folder. */
const NOT_A_FOLDER = new Set(["ENOTDIR", "EEXIST"]);

/** The CacheNotWritable a failed write in the cache at `path` means, or null when its code says nothing. */
export function cacheWriteFailure(error: unknown, path: string): CacheNotWritable | null {
  if (error instanceof CacheNotWritable) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const refusal = fileSystemRefusal(code);
  if (refusal) return new CacheNotWritable(path, refusal.reason, { cause: error });
  if (typeof code === "string" && NOT_A_FOLDER.has(code)) {
    return new CacheNotWritable(path, "a part of it is a file, not a folder", { cause: error });
  }
  return null;
}
