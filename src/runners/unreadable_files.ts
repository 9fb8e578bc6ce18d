/** Most entries looked at under one folder: a model folder has tens of files, a hub cache entry hundreds. */
const MAX_ENTRIES = 100_000;

/**
 * Files under `path` that a process running as `ids` (and no other group) cannot read, and folders it
 * cannot list and enter, by their permission bits; symbolic links followed, as a bind mount does. At most
 * `limit` of them, in walk order. What cannot be looked at is skipped: the engine's own error says more.
 */
export function unreadableFiles(path: string, ids: { uid: number; gid: number }, limit = 5): string[] {
  const found: string[] = [];
  const pending = [path];
  let seen = 0;
  while (pending.length > 0 && found.length < limit && seen < MAX_ENTRIES) {
    const current = pending.pop()!;
    seen += 1;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(current);
    } catch {
      continue;
    }
    const needed = info.isDirectory ? 0o5 : 0o4;
    if (!permits(info, ids, needed)) {
      found.push(current);
      continue;
    }
    if (!info.isDirectory) continue;
    try {
      for (const entry of Deno.readDirSync(current)) pending.push(`${current}/${entry.name}`);
    } catch {
      continue;
    }
  }
  return found;
}

/** Whether `info`'s owner, group or other bits (whichever apply to `ids`) include all of `needed` (rwx). */
function permits(info: Deno.FileInfo, ids: { uid: number; gid: number }, needed: number): boolean {
  const mode = info.mode ?? 0o777;
  const bits = info.uid === ids.uid ? mode >> 6 : info.gid === ids.gid ? mode >> 3 : mode;
  return (bits & needed) === needed;
}
