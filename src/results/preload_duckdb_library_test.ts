import assert from "node:assert/strict";
import { join } from "node:path";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { duckdbLibraryFile, preloadDuckdbLibrary } from "./preload_duckdb_library.ts";

const fixture = new URL("../../tests/lone_duckdb_addon_fixture.ts", import.meta.url).pathname;

async function loneAddon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", fixture, ...args] }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test("duckdbLibraryFile() is the libduckdb.so beside the duckdb.node @duckdb/node-bindings loads", () => {
  const library = duckdbLibraryFile();
  assert.ok(library, "Linux");
  assert.match(library, /\/node_modules\/@duckdb\/node-bindings-linux-(x64|arm64)(-musl)?\/libduckdb\.so$/);
  assert.ok(Deno.statSync(library).isFile);
  assert.ok(Deno.statSync(join(library, "..", "duckdb.node")).isFile);
});

Deno.test(
  "a duckdb.node alone (as deno compile writes it out) loads once preloadDuckdbLibrary() loaded its library from the cache",
  inTempDir(async (dir) => {
    const alone = await loneAddon([join(dir, "without")]);
    assert.equal(alone.code, 1, alone.stdout);
    assert.match(alone.stderr, /libduckdb\.so: cannot open shared object file/);
    const preloaded = await loneAddon([join(dir, "with"), join(dir, "cache")]);
    assert.equal(preloaded.code, 0, preloaded.stderr);
    assert.match(preloaded.stdout, /^v1\.\d+\.\d+/);
    const [copy] = [...Deno.readDirSync(join(dir, "cache", "native"))];
    assert.ok(Deno.statSync(join(dir, "cache", "native", copy!.name, "libduckdb.so")).isFile);
  }),
);

Deno.test("preloadDuckdbLibrary() from a file system mounted noexec is NotReadyError (exit 3) naming LLEM_CACHE_DIR", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "llem-test-" });
  const mount = (args: string[]) => new Deno.Command("mount", { args, stderr: "null" }).outputSync().success;
  try {
    if (!mount(["-t", "tmpfs", "-o", "noexec,size=256m", "tmpfs", dir])) {
      await t.step({ name: "SKIPPED: mounting a tmpfs needs root", ignore: true, fn: () => {} });
      return;
    }
    const copy = join(dir, "libduckdb.so");
    Deno.copyFileSync(duckdbLibraryFile()!, copy);
    let error: unknown;
    try {
      preloadDuckdbLibrary(copy);
    } catch (thrown) {
      error = thrown;
    }
    assert.ok(error instanceof NotReadyError, String(error));
    assert.match(error.message, new RegExp(`^Cannot load DuckDB's library "${copy}": `));
    assert.match(error.hint!, /noexec.*LLEM_CACHE_DIR/);
  } finally {
    new Deno.Command("umount", { args: ["-l", dir], stderr: "null" }).outputSync();
    Deno.removeSync(dir, { recursive: true });
  }
});
