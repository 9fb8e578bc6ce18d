import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { cacheWriteFailure } from "./cache_not_writable.ts";

/** The simulated engine of `llem demo` and of llem's tests (no model, no GPU), in the harness folder. */
export const TEST_ENGINE_ADAPTER = "test_engine/adapter.py";

/** What a session needs from the harness folder: the harness, the shared adapter code, each adapter. */
export const HARNESS_FILES: readonly string[] = [
  "harness.py",
  "adapter_common.py",
  ...ENGINE_IDS.map((id) => `${id}/adapter.py`),
  TEST_ENGINE_ADAPTER,
];

/**
 * A real folder holding the harness, for sessions to mount or run: `<cacheRoot>/harness/<hash of the
 * files>/`, written once (a temporary folder renamed into place, so a reader never sees half of it) and
 * readable by everyone (containers run as the invoking user or as nobody). The source may be inside a
 * `deno compile` binary, whose embedded files Deno can read but Docker cannot mount; and a study keeps the
 * harness it started with even if the source folder is edited while it runs.
 */
export function materializeHarness(sourceDir: string, cacheRoot: string): string {
  const files = HARNESS_FILES.map((name) => ({ name, bytes: Deno.readFileSync(join(sourceDir, name)) }));
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file.name}\0${file.bytes.length}\0`).update(file.bytes);
  const parent = join(cacheRoot, "harness");
  const target = join(parent, hash.digest("hex").slice(0, 16));
  if (isDirectory(target)) return target;
  let temporary: string;
  try {
    Deno.mkdirSync(parent, { recursive: true });
    temporary = Deno.makeTempDirSync({ dir: parent, prefix: ".partial-" });
  } catch (error) {
    throw cacheWriteFailure(error, parent) ?? error;
  }
  try {
    for (const file of files) {
      const path = join(temporary, file.name);
      Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      Deno.writeFileSync(path, file.bytes, { mode: 0o644 });
      Deno.chmodSync(path, 0o644); // the umask may have taken bits away
      Deno.chmodSync(dirname(path), 0o755);
    }
    Deno.chmodSync(temporary, 0o755);
    Deno.renameSync(temporary, target);
  } catch (error) {
    Deno.removeSync(temporary, { recursive: true });
    // Another llem put the same files in place first.
    if (isDirectory(target)) return target;
    throw cacheWriteFailure(error, parent) ?? error;
  }
  return target;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
