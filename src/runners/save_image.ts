import { basename, dirname, join } from "node:path";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { UsageError } from "../errors/usage_error.ts";
import { type ArchiveRuntime, imageSaveArgv } from "./image_archive_argv.ts";
import { removeQuietly } from "./llem_owner.ts";
import { pathExists } from "./path_exists.ts";
import { imageInspectArgv } from "./readiness_argv.ts";
import { runProgram } from "./run_program.ts";

/** How long saving or loading one image may take: engine images are 10-20 GB, and USB disks are slow. */
export const IMAGE_ARCHIVE_TIMEOUT_MS = 2 * 60 * 60 * 1000;

/** That `image` is in the runtime's store; NotReadyError (exit 3) saying where to get it otherwise. */
export async function checkImagePresent(runtime: ArchiveRuntime, image: string): Promise<void> {
  const inspected = await runProgram(imageInspectArgv(runtime, image), { timeoutMs: 30_000 });
  if (inspected.code !== 0) {
    throw new NotReadyError(
      `image ${image} is not in ${runtime}'s store`,
      `pull it where a registry is reachable (${runtime} pull ${image}), then save it there`,
    );
  }
}

/**
 * Save `image` from a runtime's store to `file`, whole or not at all: the runtime writes a hidden file
 * beside it, renamed into place once complete, so an interrupted save never leaves a truncated archive
 * under the name asked for. Refuses an existing `file` (UsageError) unless `replace`; NotReadyError with
 * the runtime's own words when it fails (checkImagePresent() first says it better for a missing image).
 * Returns the archive's size in bytes.
 */
export async function saveImage(
  runtime: ArchiveRuntime,
  target: { image: string; file: string; replace: boolean },
): Promise<{ bytes: number }> {
  const { image, file } = target;
  const partial = join(dirname(file), `.${basename(file)}.partial-${crypto.randomUUID().slice(0, 8)}`);
  try {
    const saved = await runProgram(imageSaveArgv(runtime, { image, file: partial }), {
      timeoutMs: IMAGE_ARCHIVE_TIMEOUT_MS,
    });
    if (saved.code !== 0) {
      const why = saved.timedOut
        ? "it took longer than 2 hours"
        : lastLine(saved.stderr) || `exit code ${saved.code}`;
      throw new NotReadyError(
        `${runtime} save ${image} failed: ${why}`,
        `check the free space in ${dirname(file)}`,
      );
    }
    if (!target.replace && pathExists(file)) {
      throw new UsageError(`"${file}" already exists`, "choose another name, or add --force to replace it");
    }
    Deno.renameSync(partial, file);
  } finally {
    removeQuietly(partial);
  }
  return { bytes: Deno.statSync(file).size };
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}
