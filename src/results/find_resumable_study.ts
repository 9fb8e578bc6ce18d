import type { Manifest } from "./manifest_schema.ts";
import { readManifest } from "./manifest_store.ts";
import { MANIFEST_FILE, resolveInside, sanitizeName, STUDY_DIR_PATTERN } from "./study_layout.ts";
import { isStudyLocked } from "./study_lock.ts";
import { isFile } from "./is_file.ts";

/**
 * The study `--resume` picks in an output directory: `resumable`; `live` when another llem holds its lock
 * and so is running it now; `elsewhere` when its manifest says running on another host and its lock is
 * free here (a file system that does not share locks between hosts cannot tell a live llem there from a
 * dead one). `others` counts the other unfinished studies passed over.
 */
export type ResumableStudy =
  & ({ kind: "resumable" } | { kind: "live" } | { kind: "elsewhere"; hostname: string })
  & { dir: string; manifest: Manifest; others: number };

/** Which studies to consider, and how to tell a live llem from a dead one (injectable for tests). */
export interface FindResumableStudyOptions {
  /** Only studies of this name (as written in the study config). */
  studyName?: string;
  /** This machine's name; defaults to Deno.hostname(). */
  hostname?: string;
  /** Whether a live llem holds a study directory's lock; defaults to isStudyLocked(). */
  isLocked?: (dir: string) => boolean;
}

/**
 * The study to resume under `outputDir`, or null when there is none: of the studies with work left
 * (not completed, or completed with failed or skipped runs to retry), the newest (by manifest
 * start_time) that has completed runs, else the newest. A study that completed nothing (say, one a busy
 * GPU stopped before it began) is never picked over one with results to keep. Directories without a
 * manifest.json are not studies and are passed over; an invalid manifest is an error naming the file.
 */
export function findResumableStudy(
  outputDir: string,
  options: FindResumableStudyOptions = {},
): ResumableStudy | null {
  const candidates = unfinishedStudies(outputDir, options.studyName).sort(byPreference);
  const chosen = candidates[0];
  if (!chosen) return null;
  const { dir, manifest } = chosen;
  const others = candidates.length - 1;
  if ((options.isLocked ?? isStudyLocked)(dir)) return { kind: "live", dir, manifest, others };
  const here = options.hostname ?? Deno.hostname();
  if (manifest.status === "running" && manifest.hostname !== null && manifest.hostname !== here) {
    return { kind: "elsewhere", dir, manifest, others, hostname: manifest.hostname };
  }
  return { kind: "resumable", dir, manifest, others };
}

/** Whether a study has work a resume would do: runs not completed, or a status that is not completed. */
export function hasWorkLeft(manifest: Manifest): boolean {
  return manifest.status !== "completed" || manifest.experiments.some((run) => run.status !== "completed");
}

interface Candidate {
  dir: string;
  manifest: Manifest;
  completed: number;
}

function unfinishedStudies(outputDir: string, studyName: string | undefined): Candidate[] {
  const prefix = studyName === undefined ? null : sanitizeName(studyName);
  const found: Candidate[] = [];
  for (const name of studyDirNames(outputDir)) {
    const match = name.match(STUDY_DIR_PATTERN);
    if (!match || (prefix !== null && match[1] !== prefix)) continue;
    const dir = resolveInside(outputDir, name);
    if (!isFile(`${dir}/${MANIFEST_FILE}`)) continue;
    const manifest = readManifest(dir);
    // A sharded study is resumed shard by shard (llem run CONFIG DIR --shard I/N), never picked.
    if (!hasWorkLeft(manifest) || manifest.shards !== undefined) continue;
    if (studyName !== undefined && manifest.study_name !== studyName) continue;
    const completed = manifest.experiments.filter((run) => run.status === "completed").length;
    found.push({ dir, manifest, completed });
  }
  return found;
}

/** Studies with completed runs first, then the newest, then by directory name (newest stamp last). */
function byPreference(a: Candidate, b: Candidate): number {
  if ((a.completed > 0) !== (b.completed > 0)) return a.completed > 0 ? -1 : 1;
  if (a.manifest.start_time !== b.manifest.start_time) {
    return a.manifest.start_time > b.manifest.start_time ? -1 : 1;
  }
  return a.dir > b.dir ? -1 : a.dir < b.dir ? 1 : 0;
}

function studyDirNames(outputDir: string): string[] {
  try {
    return [...Deno.readDirSync(outputDir)].filter((entry) => entry.isDirectory).map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
