import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { NotReadyError } from "../errors/not_ready_error.ts";

/**
 * DuckDB's shared library as @duckdb/node-bindings will need it on this machine: the `libduckdb.so` beside
 * the `duckdb.node` it loads (its platform package, glibc or musl, chosen as it chooses), or null off
 * Linux. Inside a `deno compile` binary this is a path in the binary's embedded files.
 */
export function duckdbLibraryFile(): string | null {
  // Loading a library first so that another's DT_NEEDED finds it by its SONAME is how glibc and musl
  // behave; macOS and Windows resolve dependencies otherwise, and llem's single binary is built for Linux.
  if (Deno.build.os !== "linux") return null;
  const bindings = createRequire(import.meta.url).resolve("@duckdb/node-bindings/package.json");
  const require = createRequire(bindings);
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const addon = require.resolve(
    `@duckdb/node-bindings-linux-${arch}${isMusl(require) ? "-musl" : ""}/duckdb.node`,
  );
  return join(dirname(addon), "libduckdb.so");
}

/** The libc @duckdb/node-bindings detects (with detect-libc, glibc when detection fails, as it does). */
function isMusl(require: NodeJS.Require): boolean {
  try {
    return require("detect-libc").familySync() === "musl";
  } catch {
    return false;
  }
}

/** Libraries loaded by preloadDuckdbLibrary(), kept open for the life of the process. */
const loaded = new Map<string, Deno.DynamicLibrary<Record<string, never>>>();

/**
 * Load DuckDB's shared library from `path` before @duckdb/node-api is imported. A `deno compile` binary
 * writes a native addon out of its embedded files alone: `duckdb.node`, which needs `libduckdb.so` (its
 * DT_NEEDED, found through RUNPATH $ORIGIN), lands in $TMPDIR/deno-native-addons/ without it, and fails to
 * load (denoland/deno#29203, #36626; the fix, PR #36631, was still open in August 2026). The dynamic loader
 * satisfies a DT_NEEDED with an already loaded library of that SONAME ("libduckdb.so"), wherever it was
 * loaded from. A library that cannot be loaded (a cache on a file system mounted noexec) is NotReadyError.
 */
export function preloadDuckdbLibrary(path: string): void {
  if (loaded.has(path)) return;
  try {
    loaded.set(path, Deno.dlopen(path, {}));
  } catch (error) {
    throw new NotReadyError(
      `Cannot load DuckDB's library "${path}": ${(error as Error).message}`,
      "its folder may be on a file system mounted noexec: set LLEM_CACHE_DIR to a folder on one that is not",
      { cause: error },
    );
  }
}
