import { NotReadyError } from "../errors/not_ready_error.ts";
import { manifestFilesOf, resolveInside, SHARDS_LOCK_FILE } from "./study_layout.ts";
import { writeFailure } from "./write_error.ts";

/**
 * Another llem holds the study's lock: it is running the study now (exit 3). The manifest's pid and host
 * name who; the lock, not the pid, says it is alive.
 */
export class StudyBusy extends NotReadyError {
  constructor(readonly dir: string, holder: { pid: number | null; hostname: string | null } | null) {
    super(
      `${dir} is being run by another llem` +
        (holder?.pid ? ` (pid ${holder.pid}${holder.hostname ? ` on ${holder.hostname}` : ""})` : ""),
      "wait for it to finish, or stop it first (Ctrl-C, or scancel under Slurm); then --resume it",
    );
  }
}

/** The study's lock, held for as long as this llem runs the study; release() gives it back. */
export interface StudyLock {
  release(): void;
}

/** How often, and how far apart, lockStudy() tries: another llem's isStudyLocked() holds it for a moment. */
const LOCK_TRIES = 5;
const LOCK_RETRY_MS = 40;

/**
 * Take the exclusive lock of a study directory (flock on `<dir>/.llem.lock`), without waiting for its
 * holder: one writer per study. A few tries a few milliseconds apart ride out another llem asking whether
 * the study is live (isStudyLocked() holds a shared lock for an instant). The kernel drops the lock when
 * llem dies, even under kill -9, so a lock that is held means a live llem. Throws StudyBusy when another
 * llem holds it, a write failure (DiskFull, NotWritable) when the lock file cannot be made.
 */
export async function lockStudy(
  dir: string,
  options: {
    holder?: () => { pid: number | null; hostname: string | null } | null;
    /** A sharded study's part (shardPartName()): its own lock, one writer per shard. */
    part?: string | null;
  } = {},
): Promise<StudyLock> {
  const holder = options.holder ?? (() => null);
  const file = openLockFile(resolveInside(dir, manifestFilesOf(options.part ?? null).lock));
  try {
    for (let attempt = 1; !file.tryLockSync(true); attempt++) {
      if (attempt >= LOCK_TRIES) {
        throw new StudyBusy(options.part ? `${dir} (${options.part})` : dir, holder());
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  } catch (error) {
    file.close();
    throw error;
  }
  return {
    release() {
      try {
        file.unlockSync();
      } catch { /* closing releases it too */ }
      try {
        file.close();
      } catch { /* already closed */ }
    },
  };
}

/**
 * Whether a live llem holds the study's lock now. A shared lock is tried and given back at once, so two
 * llem processes asking at the same time do not see each other as the study's writer.
 */
export function isStudyLocked(dir: string, part: string | null = null): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(resolveInside(dir, manifestFilesOf(part).lock), { read: true });
  } catch (error) {
    // No lock file: no llem has run this study since locks were introduced, or it is being created.
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    if (!file.tryLockSync(false)) return true;
    file.unlockSync();
    return false;
  } finally {
    file.close();
  }
}

/**
 * Hold a sharded study's joining lock (flock on `<dir>/.llem.shards.lock`, waiting for it) while `body`
 * runs: shards create the study, join it and rewrite manifest.json one at a time.
 */
export async function withShardsLock<T>(dir: string, body: () => T | Promise<T>): Promise<T> {
  const file = openLockFile(resolveInside(dir, SHARDS_LOCK_FILE));
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close();
  }
}

function openLockFile(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true, write: true, create: true, mode: 0o644 });
  } catch (error) {
    throw writeFailure(error, path) ?? error;
  }
}
