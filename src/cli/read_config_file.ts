import type { FileContents } from "../config/source_file.ts";

/** Most bytes llem reads from a config file; a bigger "config" is certainly something else. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Read a config file from disk into the shape the pure config loader expects. */
export function readConfigFile(path: string): FileContents {
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) return { kind: "directory" };
    if (info.size > MAX_CONFIG_BYTES) {
      return { kind: "unreadable", reason: `${info.size} bytes is too large for a config file` };
    }
    return { kind: "file", bytes: Deno.readFileSync(path) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    if (error instanceof Deno.errors.IsADirectory) return { kind: "directory" };
    if (error instanceof Deno.errors.PermissionDenied) {
      return { kind: "unreadable", reason: "permission denied" };
    }
    throw error;
  }
}
