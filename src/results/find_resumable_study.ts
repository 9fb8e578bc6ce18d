import process from "node:process";
import type { Manifest } from "./manifest_schema.ts";
import { readManifest } from "./manifest_store.ts";
import { MANIFEST_FILE, resolveInside, sanitizeName, STUDY_DIR_PATTERN } from "./study_layout.ts";

/**
 * The newest unfinished study of an output directory: `resumable`; `live` when its manifest says running
 * and its llem (pid) is alive on this host, so another llem is running it now; `elsewhere` when it says
 * running on another host, whose processes this one cannot see (a shared file system under Slurm).
 */
export type ResumableStudy =
  | { kind: "resumable"; dir: string; manifest: Manifest }
  | { kind: "live"; dir: string; manifest: Manifest; pid: number; hostname: string }
  | { kind: "elsewhere"; dir: string; manifest: Manifest; hostname: string };

/** Which studies to consider, and how to tell a live llem from a dead one (injectable for tests). */
export interface FindResumableStudyOptions {
  /** Only studies of this name (as written in the study config). */
  studyName?: string;
  /** This machine's name; defaults to Deno.hostname(). */
  hostname?: string;
  /** Whether a process exists; defaults to kill(pid, 0). */
  isProcessAlive?: (pid: number) => boolean;
}

/**
 * Find the newest study directory (by manifest start_time) under `outputDir` whose status is not
 * completed (running, interrupted, failed or stopped), or null when there is none. Directories without
 * a manifest.json are not studies and are passed over; an invalid manifest is an error naming the file.
 */
export function findResumableStudy(
  outputDir: string,
  options: FindResumableStudyOptions = {},
): ResumableStudy | null {
  const prefix = options.studyName === undefined ? null : sanitizeName(options.studyName);
  let newest: { dir: string; manifest: Manifest } | null = null;
  for (const name of studyDirNames(outputDir)) {
    const match = name.match(STUDY_DIR_PATTERN);
    if (!match || (prefix !== null && match[1] !== prefix)) continue;
    const dir = resolveInside(outputDir, name);
    if (!isFile(`${dir}/${MANIFEST_FILE}`)) continue;
    const manifest = readManifest(dir);
    if (manifest.status === "completed") continue;
    if (options.studyName !== undefined && manifest.study_name !== options.studyName) continue;
    if (
      newest === null || manifest.start_time > newest.manifest.start_time ||
      (manifest.start_time === newest.manifest.start_time && dir > newest.dir)
    ) newest = { dir, manifest };
  }
  if (newest === null) return null;
  const { manifest } = newest;
  if (manifest.status !== "running" || manifest.pid === null || manifest.hostname === null) {
    return { kind: "resumable", ...newest };
  }
  if (manifest.hostname !== (options.hostname ?? Deno.hostname())) {
    return { kind: "elsewhere", ...newest, hostname: manifest.hostname };
  }
  if ((options.isProcessAlive ?? processExists)(manifest.pid)) {
    return { kind: "live", ...newest, pid: manifest.pid, hostname: manifest.hostname };
  }
  return { kind: "resumable", ...newest };
}

function studyDirNames(outputDir: string): string[] {
  try {
    return [...Deno.readDirSync(outputDir)].filter((entry) => entry.isDirectory).map((entry) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * kill(pid, 0): the process exists, even when it belongs to another user (EPERM). A pid reused by an
 * unrelated process after llem died also reads as alive, so a "live" answer should name the pid.
 */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
    throw error;
  }
}
