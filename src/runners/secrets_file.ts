import { join } from "node:path";
import { leaseLlemOwner } from "./lease_llem_owner.ts";
import { removeQuietly } from "./llem_owner.ts";

/** Environment variables llem treats as secrets and hands to engines by file only. */
export const SECRET_NAMES = ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] as const;

/** The secrets present in `env` (llem's own environment), by name. */
export function collectSecrets(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    SECRET_NAMES.flatMap((name) => (env[name] ? [[name, env[name]!] as const] : [])),
  );
}

/** A secrets file on disk and how to remove it. */
export interface SecretsFile {
  path: string;
  remove(): void;
}

/**
 * Write `secrets` as `KEY=value` lines to a 0600 file in a fresh 0700 folder, owned by `owner` when
 * llem runs as root and the engine does not (so the engine, given the file by a mount, can read it). The
 * folder is inside this llem's owner folder, under its user's 0700 llemRuntimeDir(): no other uid on the
 * host reaches it, not even the engine's own (a mount does not need the path). The file lives only as
 * long as the session: remove it when the session ends; a killed llem's is reaped by the next.
 */
export function writeSecretsFile(
  secrets: Readonly<Record<string, string>>,
  where: { tmpDir: string; owner?: { uid: number; gid: number } | null },
): SecretsFile {
  const owner = where.owner ?? null;
  for (const [name, value] of Object.entries(secrets)) {
    if (/[\r\n]/.test(value) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`the secret ${name} cannot be passed by file: its name or value holds a line break`);
    }
  }
  const lease = leaseLlemOwner(where.tmpDir);
  let folder = "";
  try {
    folder = Deno.makeTempDirSync({ dir: lease.dir, prefix: "secrets-" });
    Deno.chmodSync(folder, 0o700);
    const text = Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join("");
    Deno.writeTextFileSync(join(folder, "secrets.env"), text, { mode: 0o600 });
    if (owner) {
      Deno.chownSync(folder, owner.uid, owner.gid);
      Deno.chownSync(join(folder, "secrets.env"), owner.uid, owner.gid);
    }
  } catch (error) {
    if (folder) removeQuietly(folder);
    lease.release();
    throw error;
  }
  const path = join(folder, "secrets.env");
  return {
    path,
    remove: () => {
      try {
        removeQuietly(folder);
      } finally {
        lease.release();
      }
    },
  };
}
