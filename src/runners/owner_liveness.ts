import { ownerLockPath } from "./llem_owner.ts";

/**
 * Whether the llem that owns a record (see LlemOwner) still runs, as far as this process can tell;
 * `absent` when there is no record here to ask.
 */
export type OwnerLiveness = "alive" | "dead" | "absent" | "unknown";

/**
 * Judge an owner by its lock: held means its llem runs; free means it is gone; no record at all is
 * `absent` (removed by its llem as it ended or by a reaper, or never visible here: a /tmp private to
 * another Slurm job or service, whose llem may well run). A record this process may not open
 * (another user's) is "unknown": not ours to judge. A lock is exact where a pid is not: pids are reused, and
 * a pid says nothing across the machines that may share a Docker daemon.
 */
export function ownerLiveness(ownerDir: string): OwnerLiveness {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(ownerLockPath(ownerDir), { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
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
