import { duckdbLibraryFile, preloadDuckdbLibrary } from "../results/preload_duckdb_library.ts";
import { materializeNativeLibrary } from "../runners/materialize_native_library.ts";
import { processPaths, type RunningFrom, runningFrom } from "../runners/running_from.ts";
import { llemCacheDir } from "../study/baseline_cache.ts";

/**
 * Before a command that uses DuckDB is loaded (its import loads DuckDB's addon): in llem's single binary
 * (`embedded`), copy DuckDB's library out of the binary into llem's cache once and load it from there, so
 * that the addon Deno writes out alone finds it (preloadDuckdbLibrary()). A checkout, or a binary Deno
 * unpacked whole (`--self-extracting`), has the library beside the addon already. Returns the library
 * loaded, or null. A cache llem cannot write is CacheNotWritable (exit 3).
 */
export function prepareDuckdb(
  env: Readonly<Record<string, string | undefined>>,
  running: RunningFrom = runningFrom(processPaths()),
): string | null {
  if (running.kind !== "embedded") return null;
  const library = duckdbLibraryFile();
  if (library === null) return null;
  const copy = materializeNativeLibrary(library, llemCacheDir(env));
  preloadDuckdbLibrary(copy);
  return copy;
}
