import type { FileContents } from "../config/source_file.ts";

/** Most bytes llem reads from a config file: 16 MiB. A bigger "config" is certainly something else. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const PIPE_HINT =
  "llem reads a config from a file, not from a pipe or <(...): save it to a file and name that";

/**
 * Read a config file from disk into the shape the pure config loader expects. Only a regular file is read,
 * and never more than `maxBytes` (default MAX_CONFIG_BYTES) of it, whatever size it claims: files under
 * /proc claim 0 bytes, and a file may grow while it is read. A pipe (`<(...)`, /dev/stdin), FIFO, device
 * or socket is refused before it is opened: opening a FIFO waits for a writer, and a device may never end.
 */
export function readConfigFile(path: string, options: { maxBytes?: number } = {}): FileContents {
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  try {
    const refused = refusal(Deno.statSync(path));
    if (refused) return refused;
    using file = Deno.openSync(path);
    // The path may name something else by now; the open file is what will be read.
    const swapped = refusal(file.statSync());
    if (swapped) return swapped;
    const bytes = readAtMost(file, maxBytes + 1);
    if (bytes.length > maxBytes) {
      return {
        kind: "unreadable",
        reason: `larger than ${maxBytes.toLocaleString("en-US")} bytes, the most a config file may have`,
        hint: "a config is a small YAML or JSON file; name the config, not a data file",
      };
    }
    return { kind: "file", bytes };
  } catch (error) {
    return unreadable(error);
  }
}

/** Why a file of this kind is not read, or null for a regular file. */
function refusal(info: Deno.FileInfo): FileContents | null {
  if (info.isFile) return null;
  if (info.isDirectory) return { kind: "directory" };
  const what = info.isFifo
    ? "a pipe"
    : info.isCharDevice || info.isBlockDevice
    ? "a device"
    : info.isSocket
    ? "a socket"
    : "neither a file nor a folder";
  return {
    kind: "unreadable",
    reason: `is ${what}, not a regular file`,
    hint: info.isFifo ? PIPE_HINT : "name a YAML or JSON config file",
  };
}

/** Up to `limit` bytes from the start of `file`, in buffers that grow only as data arrives. */
function readAtMost(file: Deno.FsFile, limit: number): Uint8Array {
  let buffer = new Uint8Array(Math.min(limit, 64 * 1024));
  let length = 0;
  while (length < limit) {
    if (length === buffer.length) {
      const bigger = new Uint8Array(Math.min(limit, buffer.length * 2));
      bigger.set(buffer);
      buffer = bigger;
    }
    const read = file.readSync(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  return buffer.subarray(0, length);
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
  // Deno asks for --allow-all before touching /proc/self (so /dev/stdin) and /sys files, never configs.
  if (error instanceof Deno.errors.NotCapable) {
    return {
      kind: "unreadable",
      reason: "is a system file (such as /dev/stdin or under /proc), not a regular file",
      hint: "name a YAML or JSON config file; to use the output of a command, save it to a file first",
    };
  }
  throw error;
}
