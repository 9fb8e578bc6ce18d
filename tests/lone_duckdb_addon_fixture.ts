/**
 * DuckDB's addon as a `deno compile` binary writes it out: `duckdb.node` alone in a folder, without the
 * `libduckdb.so` it needs. Arguments: `FOLDER [CACHE]`. With CACHE, DuckDB's library is first copied into
 * that cache and loaded from there, as llem's single binary does (prepareDuckdb()). Prints the library
 * version the addon reports; a failure to load exits 1 with the loader's message.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { duckdbLibraryFile, preloadDuckdbLibrary } from "../src/results/preload_duckdb_library.ts";
import { materializeNativeLibrary } from "../src/runners/materialize_native_library.ts";

const [folder, cache] = Deno.args;
const library = duckdbLibraryFile()!;
Deno.mkdirSync(folder!, { recursive: true });
Deno.copyFileSync(join(library, "..", "duckdb.node"), join(folder!, "duckdb.node"));
if (cache) preloadDuckdbLibrary(materializeNativeLibrary(library, cache));
const addon = createRequire(import.meta.url)(join(folder!, "duckdb.node"));
console.log(addon.library_version());
