import { UsageError } from "../errors/usage_error.ts";
import { writeFailure } from "../results/write_error.ts";

/**
 * Write a file the user named with -o: a folder that does not exist, or an existing file under
 * `createNew`, is bad input (exit 2); a full or read-only file system is DiskFull or NotWritable (exit 3).
 */
export function writeOutputFile(path: string, text: string, options: { createNew?: boolean } = {}): void {
  try {
    Deno.writeTextFileSync(path, text, { createNew: options.createNew ?? false });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(`"${path}" already exists`, "choose another name, or delete the file first");
    }
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`cannot write "${path}": its folder does not exist`, "create the folder first");
    }
    throw writeFailure(error, path) ?? error;
  }
}
