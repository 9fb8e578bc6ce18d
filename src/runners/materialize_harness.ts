import { join } from "node:path";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { installOnce } from "./install_once.ts";

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
 * files>/`, put in place once by installOnce() (safe when many llems start at once; never half a folder)
 * and readable by everyone (containers run as the invoking user or as nobody). The source may be inside a
 * `deno compile` binary, whose embedded files Deno can read but Docker cannot mount; and a study keeps the
 * harness it started with even if the source folder is edited while it runs. Only the cache is written:
 * the source may be read-only. A cache llem cannot write is CacheNotWritable (exit 3).
 */
export function materializeHarness(sourceDir: string, cacheRoot: string): string {
  const files = HARNESS_FILES.map((name) => ({
    name,
    bytes: Deno.readFileSync(join(sourceDir, name)),
    mode: 0o644,
  }));
  return installOnce(join(cacheRoot, "harness"), files).dir;
}
