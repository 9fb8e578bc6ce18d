import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { cacheWriteFailure } from "./cache_not_writable.ts";

/** One file of a folder installOnce() puts in place: its path inside the folder, its bytes, its mode. */
export interface InstallFile {
  name: string;
  bytes: Uint8Array;
  /** Permission bits, e.g. 0o644; set exactly (the umask does not take bits away). */
  mode: number;
}

/**
 * How installOnce() came by its folder: `found` complete, `installed` by this process, `lost_race` (another
 * process installed it while this one was writing its own copy, which it then removed), or `replaced` (a
 * damaged folder of that name was moved aside and this process's copy put in its place).
 */
export type InstallOutcome = "found" | "installed" | "lost_race" | "replaced";

/** The folder installOnce() returns, and how it came by it. */
export interface Installed {
  dir: string;
  outcome: InstallOutcome;
}

/**
 * The file in every installed folder that says it is complete: the content's sha256 and each file's size.
 * It is written last, before the folder is renamed into place.
 */
export const INSTALL_MANIFEST = ".llem-installed.json";

/** Bumped when the layout of an installed folder changes, so that older folders are left to older llems. */
const LAYOUT_VERSION = "llem-install-1";
/** Attempts at renaming into place; each failed one has moved a damaged folder aside. */
const ATTEMPTS = 3;

/**
 * Put `files` in place once as `<parent>/<hash of their names and bytes>/`, safely for any number of llem
 * processes starting at once (the tasks of a Slurm array on one file system): each writes a private
 * temporary folder, its manifest last, and renames it into place; a rename is atomic, so a reader never
 * sees half a folder, and only one rename wins. A loser uses the winner's folder. A folder whose manifest
 * is missing or does not match (an interrupted copy from elsewhere, files removed by a cleaner of old files
 * in $TMPDIR) is never used: it is moved aside as `.damaged-*` (kept, since a process may still hold it)
 * and replaced. A cache llem cannot write is CacheNotWritable, unless the complete folder is already there.
 */
export function installOnce(parent: string, files: readonly InstallFile[]): Installed {
  const sha256 = contentHash(files);
  const target = join(parent, sha256.slice(0, 16));
  if (isComplete(target, sha256)) return { dir: target, outcome: "found" };
  let temporary: string;
  try {
    temporary = writeTemporary(parent, { files, sha256 });
  } catch (error) {
    // Out of quota or space while another process finished its copy: use that one.
    if (isComplete(target, sha256)) return { dir: target, outcome: "lost_race" };
    throw error;
  }
  return publish(temporary, { target, sha256 });
}

/** What the manifest records: the content's hash, and each file's size for the check on every use. */
interface Manifest {
  layout: string;
  sha256: string;
  files: { name: string; bytes: number }[];
}

function contentHash(files: readonly InstallFile[]): string {
  const hash = createHash("sha256").update(`${LAYOUT_VERSION}\0`);
  for (const file of files) {
    hash.update(`${file.name}\0${file.bytes.length}\0${file.mode}\0`).update(file.bytes);
  }
  return hash.digest("hex");
}

/** Whether `dir` holds a complete install of this content: its manifest, and every file at its size. */
function isComplete(dir: string, sha256: string): boolean {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Deno.readTextFileSync(join(dir, INSTALL_MANIFEST)));
  } catch {
    return false;
  }
  if (manifest?.sha256 !== sha256 || !Array.isArray(manifest.files)) return false;
  return manifest.files.every(({ name, bytes }) => {
    try {
      const info = Deno.statSync(join(dir, name));
      return info.isFile && info.size === bytes;
    } catch {
      return false;
    }
  });
}

/** A private folder in `parent` holding the files and, last, the manifest; removed again if writing fails. */
function writeTemporary(parent: string, content: { files: readonly InstallFile[]; sha256: string }): string {
  let temporary: string;
  try {
    Deno.mkdirSync(parent, { recursive: true });
    temporary = Deno.makeTempDirSync({ dir: parent, prefix: ".partial-" });
  } catch (error) {
    throw cacheWriteFailure(error, parent) ?? error;
  }
  try {
    for (const file of content.files) writeFile(temporary, file);
    const manifest: Manifest = {
      layout: LAYOUT_VERSION,
      sha256: content.sha256,
      files: content.files.map((file) => ({ name: file.name, bytes: file.bytes.length })),
    };
    writeFile(temporary, {
      name: INSTALL_MANIFEST,
      bytes: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
      mode: 0o644,
    });
    // Readable by everyone: containers run as the invoking user or as nobody.
    Deno.chmodSync(temporary, 0o755);
    return temporary;
  } catch (error) {
    Deno.removeSync(temporary, { recursive: true });
    throw cacheWriteFailure(error, parent) ?? error;
  }
}

function writeFile(root: string, file: InstallFile): void {
  const path = join(root, file.name);
  for (let dir = dirname(path); dir !== root; dir = dirname(dir)) {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.chmodSync(dir, 0o755);
  }
  Deno.writeFileSync(path, file.bytes, { mode: file.mode });
  Deno.chmodSync(path, file.mode); // the umask may have taken bits away
}

/** Rename the temporary folder into place; a complete folder already there wins, a damaged one moves aside. */
function publish(temporary: string, place: { target: string; sha256: string }): Installed {
  const { target, sha256 } = place;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      Deno.renameSync(temporary, target);
      return { dir: target, outcome: attempt === 0 ? "installed" : "replaced" };
    } catch (error) {
      if (!isTaken(error)) {
        Deno.removeSync(temporary, { recursive: true });
        throw cacheWriteFailure(error, dirname(target)) ?? error;
      }
    }
    if (isComplete(target, sha256)) {
      Deno.removeSync(temporary, { recursive: true });
      return { dir: target, outcome: "lost_race" };
    }
    moveAside(target);
  }
  Deno.removeSync(temporary, { recursive: true });
  throw new Error(`${target} was taken by an incomplete folder ${ATTEMPTS} times in a row`);
}

/** Rename's codes for a target that exists: a folder with files in it (ENOTEMPTY, or EEXIST), or a file. */
function isTaken(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR";
}

/** Move a damaged folder out of the way; another process may have moved it first. */
function moveAside(target: string): void {
  const aside = join(dirname(target), `.damaged-${crypto.randomUUID().slice(0, 8)}`);
  try {
    Deno.renameSync(target, aside);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw cacheWriteFailure(error, dirname(target)) ?? error;
  }
}
