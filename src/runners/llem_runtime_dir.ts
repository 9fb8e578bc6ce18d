import { join } from "node:path";
import { NotReadyError } from "../errors/not_ready_error.ts";

/**
 * llem's private folder for one user on this machine, `<tmpDir>/llem-<uid>`: mode 0700 and owned by that
 * user, so what is kept there (engines' exchange folders, secrets files) is out of reach of every other uid
 * on the host, including the uid an engine runs as in a container (nobody, when llem runs as root). Made when
 * missing; refused when it is a link, or someone else's.
 */
export function llemRuntimeDir(where: { tmpDir: string; uid: number }): string {
  const path = join(where.tmpDir, `llem-${where.uid}`);
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = Deno.lstatSync(path);
  const refuse = (why: string) =>
    new NotReadyError(
      `Cannot use llem's private folder "${path}": ${why}`,
      `remove it (another user or program made it), or point TMPDIR at another folder`,
    );
  if (info.isSymlink || !info.isDirectory) throw refuse("it is not a folder");
  if (info.uid !== where.uid) throw refuse(`it belongs to uid ${info.uid}, not ${where.uid}`);
  // mkdir's mode is reduced by the umask, and an older folder may have been loosened: set it outright.
  if ((info.mode! & 0o777) !== 0o700) Deno.chmodSync(path, 0o700);
  return path;
}

/** llemRuntimeDir() when it exists (checked as it checks it), else null: a reaper makes nothing. */
export function existingRuntimeDir(where: { tmpDir: string; uid: number }): string | null {
  try {
    Deno.lstatSync(join(where.tmpDir, `llem-${where.uid}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return llemRuntimeDir(where);
}

/** The folder temporary files go to: $TMPDIR, else /tmp (what Deno.makeTempDir uses too). */
export function tmpDirOf(env: Readonly<Record<string, string | undefined>>): string {
  return env.TMPDIR || "/tmp";
}
