import type { FileContents } from "../config/source_file.ts";

/** Most bytes llem reads from a config file; a bigger "config" is certainly something else. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const NOT_REGULAR = "not a regular file (a device, a pipe or a process file): llem reads configs from files";

/**
 * Read a config file from disk into the shape the pure config loader expects. Only regular files are read:
 * a device or pipe (/dev/stdin) could block or never end, and Deno refuses such paths without --allow-all.
 */
export function readConfigFile(path: string): FileContents {
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) return { kind: "directory" };
    if (!info.isFile) return { kind: "unreadable", reason: NOT_REGULAR };
    if (info.size > MAX_CONFIG_BYTES) {
      return { kind: "unreadable", reason: `${info.size} bytes is too large for a config file` };
    }
    return { kind: "file", bytes: Deno.readFileSync(path) };
  } catch (error) {
    return unreadable(error);
  }
}

/** Why a config path could not be read, as FileContents; an unforeseen error is rethrown. */
function unreadable(error: unknown): FileContents {
  if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
  if (error instanceof Deno.errors.IsADirectory) return { kind: "directory" };
  if (error instanceof Deno.errors.PermissionDenied) {
    return { kind: "unreadable", reason: "permission denied" };
  }
  if (error instanceof Deno.errors.FilesystemLoop) {
    return { kind: "unreadable", reason: "its symbolic links loop back on themselves" };
  }
  if (error instanceof Deno.errors.NotADirectory) return { kind: "missing" };
  // Deno asks for --allow-all before touching /dev and /proc/self files, which are never configs.
  if (error instanceof Deno.errors.NotCapable) return { kind: "unreadable", reason: NOT_REGULAR };
  throw error;
}
