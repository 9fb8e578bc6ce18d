import { basename, join } from "node:path";
import { installOnce } from "./install_once.ts";

/**
 * A real copy of the native library `sourceFile` (inside a `deno compile` binary, where only Deno can read
 * it), put in place once by installOnce() as `<cacheRoot>/native/<hash of its bytes>/<its name>`: safe when
 * many llems start at once, never half a file. Returns the copy's path. A cache llem cannot write is
 * CacheNotWritable (exit 3).
 */
export function materializeNativeLibrary(sourceFile: string, cacheRoot: string): string {
  const name = basename(sourceFile);
  const installed = installOnce(join(cacheRoot, "native"), [{
    name,
    bytes: Deno.readFileSync(sourceFile),
    mode: 0o755,
  }]);
  return join(installed.dir, name);
}
