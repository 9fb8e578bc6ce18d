import { join } from "node:path";
import { studyDirName } from "./study_layout.ts";
import { makeDirectory, writeFailure } from "./write_error.ts";

/**
 * Create a new study's directory under `outputDir`, named studyDirName(); when another study of the same
 * name took that name in the same second, `-2`, `-3`... is added. Each mkdir either creates the directory
 * or fails, so two llem processes never share one. Returns its path.
 */
export function claimStudyDir(outputDir: string, study: { name: string; now: Date }): string {
  makeDirectory(outputDir);
  const base = join(outputDir, studyDirName(study.name, study.now));
  for (let suffix = 1;; suffix++) {
    const dir = suffix === 1 ? base : `${base}-${suffix}`;
    try {
      Deno.mkdirSync(dir);
      return dir;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw writeFailure(error, dir) ?? error;
    }
  }
}
