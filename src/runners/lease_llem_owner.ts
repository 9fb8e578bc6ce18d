import { claimLlemOwner, type LlemOwner } from "./llem_owner.ts";
import { llemRuntimeDir } from "./llem_runtime_dir.ts";

/** A share of this process's owner record (see LlemOwner): give it back with release(). */
export interface OwnerLease {
  /** The folder for session files. */
  dir: string;
  hostname: string;
  release(): void;
}

let current: { owner: LlemOwner; leases: number; onUnload: () => void } | null = null;

/**
 * This process's owner record, claimed by the first lease and released with the last: it exists exactly
 * while the process has sessions (or preflight containers) that another llem must not reap, and its
 * folder holds their files. Still there when llem exits, it is removed then; left by a killed llem, the
 * next llem reaps it (reapLeftovers()). `tmpDir` ($TMPDIR, else /tmp, as StudyLocations resolves it) holds
 * llem's private folder; the first lease's is the process's.
 */
export function leaseLlemOwner(tmpDir: string): OwnerLease {
  if (!current) {
    const owner = claimLlemOwner(llemRuntimeDir({ tmpDir, uid: Deno.uid() ?? 0 }), {
      pid: Deno.pid,
      hostname: Deno.hostname(),
    });
    const onUnload = () => owner.release();
    globalThis.addEventListener("unload", onUnload);
    current = { owner, leases: 0, onUnload };
  }
  const held = current;
  held.leases++;
  let released = false;
  return {
    dir: held.owner.dir,
    hostname: held.owner.hostname,
    release() {
      if (released) return;
      released = true;
      if (--held.leases > 0 || current !== held) return;
      current = null;
      globalThis.removeEventListener("unload", held.onUnload);
      held.owner.release();
    },
  };
}
