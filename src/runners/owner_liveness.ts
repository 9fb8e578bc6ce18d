import { ownerLockPath } from "./llem_owner.ts";

/** Whether the llem that owns a record (see LlemOwner) still runs, as far as this process can tell. */
export type OwnerLiveness = "alive" | "dead" | "unknown";

/**
 * Judge an owner by its lock: held means its llem runs; free, or no record at all (a record is removed only
 * by its llem as it ends, or by a reaper once free), means it is gone. A record this process may not open
 * (another user's) is "unknown": not ours to judge. A lock is exact where a pid is not: pids are reused, and
 * a pid says nothing across the machines that may share a Docker daemon.
 */
export function ownerLiveness(ownerDir: string): OwnerLiveness {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(ownerLockPath(ownerDir), { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "dead";
    if (error instanceof Deno.errors.PermissionDenied) return "unknown";
    throw error;
  }
  try {
    return lock.tryLockSync(true) ? "dead" : "alive";
  } finally {
    // Closing drops a lock this call took.
    lock.close();
  }
}
