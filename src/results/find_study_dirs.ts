import { resolve } from "node:path";
import { ManifestUnreadable } from "./manifest_store.ts";
import { MANIFEST_FILE, resolveInside } from "./study_layout.ts";
import { isFile } from "./is_file.ts";

/**
 * The study directories `dir` names: itself when it holds a manifest.json, else its sub-folders that do
 * (a results folder), sorted. ManifestUnreadable (exit 2) when there are none.
 */
export function findStudyDirs(dir: string): string[] {
  // Absolute, as the file views' paths are: runs and files join on study_dir.
  if (isFile(resolveInside(dir, MANIFEST_FILE))) return [resolve(dir)];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    throw new ManifestUnreadable(`cannot read "${dir}": ${(error as Error).message}`, NOT_STUDIES, {
      cause: error,
    });
  }
  const found = entries.filter((entry) => entry.isDirectory)
    .map((entry) => resolveInside(dir, entry.name))
    .filter((sub) => isFile(resolveInside(sub, MANIFEST_FILE)))
    .sort();
  if (found.length === 0) throw new ManifestUnreadable(`"${dir}" holds no llem study`, NOT_STUDIES);
  return found;
}

const NOT_STUDIES = "name a study directory (results/<study>_<time>) or the folder that holds them (results)";
