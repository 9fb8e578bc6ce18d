import { join } from "node:path";

/**
 * One running llem's record among its user's: `<root>/<id>.lock`, which it holds an exclusive flock on for
 * as long as it lives (the kernel drops the lock when the process dies, even by kill -9), and the folder
 * `<root>/<id>/` for its sessions' files. What other llems judge leftovers by: see ownerLiveness().
 */
export interface LlemOwner {
  /** The folder for this llem's session files; also its id in container labels. */
  dir: string;
  /** The machine, for container labels: a Docker daemon may be shared by several machines. */
  hostname: string;
  /** Remove the folder and the record, then let go of the lock. */
  release(): void;
}

/** What an owner record says about its llem (for people; liveness is the lock). */
export interface OwnerRecord {
  pid: number;
  hostname: string;
  uid: number | null;
  /** When the record was made, ISO 8601. */
  since: string;
}

/** Where an owner's lock is: beside its folder. */
export function ownerLockPath(ownerDir: string): string {
  return `${ownerDir}.lock`;
}

/** Prefix of a record being made; never judged until renamed into place. */
export const CLAIM_PREFIX = ".claim-";

/**
 * Make this process's owner record in `root` (llemRuntimeDir()). The lock file is made and locked under a
 * temporary name and renamed into place before the folder is made, so no other llem ever sees a record
 * that is not locked, or a folder without its record.
 */
export function claimLlemOwner(root: string, who: { pid: number; hostname: string }): LlemOwner {
  const id = `${who.hostname.replace(/[^A-Za-z0-9.-]/g, "_")}-${who.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const dir = join(root, id);
  const claiming = join(root, `${CLAIM_PREFIX}${id}.lock`);
  const lock = Deno.openSync(claiming, { read: true, write: true, createNew: true, mode: 0o600 });
  try {
    lock.lockSync(true);
    const record: OwnerRecord = {
      pid: who.pid,
      hostname: who.hostname,
      uid: Deno.uid(),
      since: new Date().toISOString(),
    };
    lock.writeSync(new TextEncoder().encode(JSON.stringify(record) + "\n"));
    Deno.renameSync(claiming, ownerLockPath(dir));
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    lock.close();
    for (const path of [claiming, ownerLockPath(dir)]) removeQuietly(path);
    throw error;
  }
  let released = false;
  return {
    dir,
    hostname: who.hostname,
    release() {
      if (released) return;
      released = true;
      // The folder goes before the record: a folder without a record is an orphan anyone may remove.
      removeQuietly(dir);
      removeQuietly(ownerLockPath(dir));
      lock.close();
    },
  };
}

/** Remove a path and what is under it; one that is already gone is fine. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
