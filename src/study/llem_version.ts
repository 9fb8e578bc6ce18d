import packageJson from "../../package.json" with { type: "json" };

/** llem's version, from package.json. */
export const LLEM_VERSION: string = packageJson.version;

/**
 * The git commit llem runs from, read from `.git` beside the sources (no process spawned), or
 * `LLEM_BUILD_COMMIT` as baked in by the compile script; "unknown" when neither is there.
 */
export function gitCommit(env: Record<string, string | undefined>): string {
  if (env.LLEM_BUILD_COMMIT) return env.LLEM_BUILD_COMMIT;
  try {
    const gitDir = new URL("../../.git/", import.meta.url);
    const head = Deno.readTextFileSync(new URL("HEAD", gitDir)).trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return Deno.readTextFileSync(new URL(ref, gitDir)).trim().slice(0, 12);
    } catch {
      const packed = Deno.readTextFileSync(new URL("packed-refs", gitDir));
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      return line ? line.slice(0, 12) : "unknown";
    }
  } catch {
    return "unknown";
  }
}
