import { join } from "node:path";
import { CLAIM_PREFIX, removeQuietly } from "./llem_owner.ts";
import { existingRuntimeDir } from "./llem_runtime_dir.ts";
import { type OwnerLiveness, ownerLiveness } from "./owner_liveness.ts";
import { reapContainers } from "./reap_containers.ts";

/** What reapLeftovers() removed. */
export interface ReapedLeftovers {
  /** Owner folders (with their exchange folders and secrets files) of llems that are gone. */
  folders: string[];
  /** Containers of llems that are gone, by runtime. */
  containers: { runtime: "docker" | "podman"; ids: string[] }[];
}

/** A record still being claimed is left alone this long (its maker holds its lock a moment after making it). */
const CLAIM_GRACE_MS = 60_000;

/**
 * Remove what llems that are gone left (killed, even by kill -9, they cannot clean up): their owner
 * records with their sessions' exchange folders and secrets files in this user's llemRuntimeDir(), and
 * their labelled containers in Docker and Podman (reapContainers()). Only what belongs to an llem whose
 * lock is free: a running llem's, this one's included, is never touched. Run before a study starts.
 */
export async function reapLeftovers(
  where: ({ tmpDir: string } | { root: string }) & { hostname?: string; runtimes?: ("docker" | "podman")[] },
): Promise<ReapedLeftovers> {
  const root = "root" in where
    ? where.root
    : existingRuntimeDir({ tmpDir: where.tmpDir, uid: Deno.uid() ?? 0 });
  const folders = root === null ? [] : reapOwnerFolders(root);
  const hostname = where.hostname ?? Deno.hostname();
  const containers = [];
  for (const runtime of where.runtimes ?? ["docker", "podman"] as const) {
    const ids = await reapContainers(runtime, { hostname });
    if (ids.length) containers.push({ runtime, ids });
  }
  return { folders, containers };
}

/** Remove the records and folders of gone owners in `root`; returns the folders removed. */
function reapOwnerFolders(root: string): string[] {
  const removed: string[] = [];
  for (const entry of [...Deno.readDirSync(root)]) {
    const path = join(root, entry.name);
    try {
      if (entry.name.startsWith(CLAIM_PREFIX)) {
        // A maker that died mid-claim: its half-made record, once old enough to be sure.
        const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
        if (age > CLAIM_GRACE_MS && isGone(ownerLiveness(path.slice(0, -".lock".length)))) {
          removeQuietly(path);
        }
        continue;
      }
      const dir = entry.name.endsWith(".lock") ? path.slice(0, -".lock".length) : path;
      // Judged by its record even for a folder listed without one: a listing made while others add
      // entries may hold a new owner's folder but not the record made just before it.
      if (!isGone(ownerLiveness(dir))) continue;
      // The folder first, as its owner does: a folder without a record is an orphan.
      removeQuietly(dir);
      removeQuietly(`${dir}.lock`);
      if (!removed.includes(dir)) removed.push(dir);
    } catch (error) {
      // Another reaper got there first.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}

/**
 * An owner whose entry in this folder is free or has no record: the owner makes its record before its
 * folder and removes it after, so a folder listed here without one is an orphan.
 */
function isGone(liveness: OwnerLiveness): boolean {
  return liveness === "dead" || liveness === "absent";
}
