/** Most entries looked at under one folder: a model folder has tens of files, a hub cache entry hundreds. */
const MAX_ENTRIES = 100_000;

/** What unreadableFiles() found: at most `limit` real paths, and whether there were more. */
export interface Unreadable {
  paths: string[];
  more: boolean;
}

/**
 * Files under `path` that a process running as `ids` (and no other group) cannot read, and folders it
 * cannot list and enter, by their permission bits; symbolic links are followed and each file or folder is
 * looked at once, under its real path. Lenient where access control lists may grant access: an ACL entry
 * for another user or group shows in the group bits (as the ACL's mask), so a file whose group bits allow
 * the access counts as readable whatever its group. What cannot be looked at is skipped: the engine's own
 * error says more.
 */
export function unreadableFiles(path: string, ids: { uid: number; gid: number }, limit = 5): Unreadable {
  const found: string[] = [];
  const seen = new Set<string>();
  const pending = [path];
  let more = false;
  while (pending.length > 0 && seen.size < MAX_ENTRIES) {
    let real: string;
    let info: Deno.FileInfo;
    try {
      real = Deno.realPathSync(pending.pop()!);
      if (seen.has(real)) continue;
      seen.add(real);
      info = Deno.statSync(real);
    } catch {
      continue;
    }
    if (!permits(info, ids, info.isDirectory ? 0o5 : 0o4)) {
      if (found.length === limit) {
        more = true;
        break;
      }
      found.push(real);
      continue;
    }
    if (!info.isDirectory) continue;
    try {
      for (const entry of Deno.readDirSync(real)) pending.push(`${real}/${entry.name}`);
    } catch {
      continue;
    }
  }
  return { paths: found, more };
}

/** Whether `info`'s owner bits (when `ids` owns it), group bits or other bits include all of `needed`. */
function permits(info: Deno.FileInfo, ids: { uid: number; gid: number }, needed: number): boolean {
  const mode = info.mode ?? 0o777;
  const allows = (bits: number) => (bits & needed) === needed;
  if (info.uid === ids.uid) return allows(mode >> 6);
  return allows(mode >> 3) || allows(mode);
}
