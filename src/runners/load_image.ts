import { NotReadyError } from "../errors/not_ready_error.ts";
import { type ArchiveRuntime, imageLoadArgv } from "./image_archive_argv.ts";
import { runProgram } from "./run_program.ts";
import { IMAGE_ARCHIVE_TIMEOUT_MS } from "./save_image.ts";

/**
 * Load the images of an archive file (checked first with checkImageArchive()) into a runtime's store;
 * returns their names as the runtime reports them. NotReadyError with the runtime's words when it fails.
 */
export async function loadImage(runtime: ArchiveRuntime, file: string): Promise<string[]> {
  const loaded = await runProgram(imageLoadArgv(runtime, file), { timeoutMs: IMAGE_ARCHIVE_TIMEOUT_MS });
  if (loaded.code !== 0) {
    const why = loaded.timedOut
      ? "it took longer than 2 hours"
      : loaded.stderr.trim().split("\n").at(-1)?.trim() || `exit code ${loaded.code}`;
    throw new NotReadyError(
      `${runtime} load --input ${file} failed: ${why}`,
      `check the free space of ${runtime}'s storage, and that the file was copied whole`,
    );
  }
  return loadedImages(loaded.stdout);
}

/**
 * The images a load reports: Docker's "Loaded image: NAME" (or "Loaded image ID: sha256:..." for an untagged
 * one), Podman's "Loaded image: NAME" and its older "Loaded image(s): A,B".
 */
export function loadedImages(stdout: string): string[] {
  return stdout.split("\n").flatMap((line) => {
    const match = line.trim().match(/^Loaded image(?:\(s\))?(?: ID)?: (.+)$/);
    return match ? match[1]!.split(",").map((name) => name.trim()).filter(Boolean) : [];
  });
}
