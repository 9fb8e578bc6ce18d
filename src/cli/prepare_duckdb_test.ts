import assert from "node:assert/strict";
import { join } from "node:path";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { prepareDuckdb } from "./prepare_duckdb.ts";

Deno.test(
  "prepareDuckdb() in a checkout or a self-extracted binary does nothing: the library is beside the addon",
  inTempDir((dir) => {
    const env = { LLEM_CACHE_DIR: join(dir, "cache") };
    assert.equal(prepareDuckdb(env, { kind: "source", mainModule: "/x/main.ts" }), null);
    const extracted = {
      kind: "self_extracted",
      binary: "/x/llem",
      extractedTo: "/x/.llem/0123456789abcdef",
      place: "beside_binary",
    } as const;
    assert.equal(prepareDuckdb(env, extracted), null);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "the cache untouched");
  }),
);

Deno.test(
  "prepareDuckdb() in the single binary loads DuckDB's library from LLEM_CACHE_DIR, then DuckDB works",
  inTempDir(async (dir) => {
    const cache = join(dir, "cache");
    // In a process of its own: a loaded library stays loaded.
    const script = `
      import { prepareDuckdb } from "${new URL("./prepare_duckdb.ts", import.meta.url)}";
      const copy = prepareDuckdb({ LLEM_CACHE_DIR: ${
      JSON.stringify(cache)
    } }, { kind: "embedded", binary: "/x/llem" });
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const connection = await (await DuckDBInstance.create(":memory:")).connect();
      const rows = (await connection.runAndReadAll("select 42 as x")).getRowObjectsJson();
      console.log(JSON.stringify({ copy, rows }));`;
    const output = await new Deno.Command(Deno.execPath(), { args: ["eval", script] }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const { copy, rows } = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.match(copy, new RegExp(`^${cache}/native/[0-9a-f]{16}/libduckdb\\.so$`));
    assert.deepEqual(rows, [{ x: 42 }]);
  }),
);
