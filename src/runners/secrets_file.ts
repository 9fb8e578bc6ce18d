import { join } from "node:path";

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
 * llem runs as root and the engine does not (so the engine can read it and nobody else can). The file
 * lives only as long as the session: remove it when the session ends.
 */
export function writeSecretsFile(
  secrets: Readonly<Record<string, string>>,
  owner: { uid: number; gid: number } | null = null,
): SecretsFile {
  for (const [name, value] of Object.entries(secrets)) {
    if (/[\r\n]/.test(value) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`the secret ${name} cannot be passed by file: its name or value holds a line break`);
    }
  }
  const folder = Deno.makeTempDirSync({ prefix: "llem-secrets-" });
  Deno.chmodSync(folder, 0o700);
  const path = join(folder, "secrets.env");
  const text = Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join("");
  Deno.writeTextFileSync(path, text, { mode: 0o600 });
  if (owner) {
    Deno.chownSync(folder, owner.uid, owner.gid);
    Deno.chownSync(path, owner.uid, owner.gid);
  }
  return { path, remove: () => Deno.removeSync(folder, { recursive: true }) };
}
