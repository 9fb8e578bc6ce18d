import assert from "node:assert/strict";
import { join } from "node:path";
import { startTogether } from "../../tests/concurrent_install_fixture.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { withReadOnlyMount } from "../../tests/read_only_mount.ts";
import { CacheNotWritable } from "./cache_not_writable.ts";
import { HARNESS_FILES, materializeHarness } from "./materialize_harness.ts";

const source = new URL("../../engines/", import.meta.url).pathname;

Deno.test(
  "materializeHarness() copies the harness once into a folder named by its contents, readable by all",
  inTempDir((dir) => {
    const first = materializeHarness(source, dir);
    assert.equal(first.startsWith(join(dir, "harness")), true);
    for (const name of HARNESS_FILES) {
      assert.deepEqual(Deno.readFileSync(join(first, name)), Deno.readFileSync(join(source, name)));
      assert.equal(Deno.statSync(join(first, name)).mode! & 0o777, 0o644, name);
    }
    assert.equal(Deno.statSync(first).mode! & 0o777, 0o755);
    assert.equal(Deno.statSync(join(first, "vllm")).mode! & 0o777, 0o755);
    const written = Deno.statSync(join(first, "harness.py")).mtime;
    assert.equal(materializeHarness(source, dir), first, "the same files: the same folder, not rewritten");
    assert.deepEqual(Deno.statSync(join(first, "harness.py")).mtime, written);
    // A changed harness gets a folder of its own; the old one stays for a study still using it.
    const edited = join(dir, "edited");
    for (const name of HARNESS_FILES) {
      Deno.mkdirSync(join(edited, name, ".."), { recursive: true });
      Deno.copyFileSync(join(source, name), join(edited, name));
    }
    Deno.writeTextFileSync(join(edited, "harness.py"), "\n# edited\n", { append: true });
    const second = materializeHarness(edited, dir);
    assert.notEqual(second, first);
    assert.ok(Deno.statSync(first).isDirectory);
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "harness"))].filter((e) => e.name.startsWith(".")),
      [],
      "no partial folder left",
    );
  }),
);

Deno.test("materializeHarness() into a cache llem cannot write throws CacheNotWritable (exit 3) naming the folder", (t) =>
  inTempDir((dir) =>
    withReadOnlyMount(t, {
      path: join(dir, "cache"),
      body: (cache) => {
        let error: unknown;
        try {
          materializeHarness(source, cache);
        } catch (thrown) {
          error = thrown;
        }
        assert.ok(error instanceof CacheNotWritable, String(error));
        assert.equal(error.kind, "not_ready");
        assert.equal(
          error.message,
          `Cannot write llem's cache "${join(cache, "harness")}": the file system is read-only`,
        );
        assert.match(error.hint!, /LLEM_CACHE_DIR/);
      },
    })
  )());

Deno.test(
  "materializeHarness() under a cache path that is a file throws CacheNotWritable",
  inTempDir((dir) => {
    Deno.writeTextFileSync(join(dir, "file"), "");
    assert.throws(() => materializeHarness(source, join(dir, "file", "cache")), CacheNotWritable);
  }),
);

Deno.test("materializeHarness() from several processes started at once: one folder, complete, nothing partial", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "llem-test-" });
  try {
    const results = await startTogether(5, ["harness", join(dir, "cache"), join(dir, "go")]) as {
      dir: string;
    }[];
    assert.equal(new Set(results.map((r) => r.dir)).size, 1);
    for (const name of HARNESS_FILES) {
      assert.deepEqual(Deno.readFileSync(join(results[0]!.dir, name)), Deno.readFileSync(join(source, name)));
    }
    assert.deepEqual([...Deno.readDirSync(join(dir, "cache", "harness"))].map((e) => e.name), [
      results[0]!.dir.split("/").pop(),
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("materializeHarness() reads a read-only source (a binary's folder) and writes only the cache", (t) =>
  inTempDir((dir) =>
    withReadOnlyMount(t, {
      path: join(dir, "engines"),
      fill: (engines) => {
        for (const name of HARNESS_FILES) {
          Deno.mkdirSync(join(engines, name, ".."), { recursive: true });
          Deno.copyFileSync(join(source, name), join(engines, name));
        }
      },
      body: (engines) => {
        const cache = join(dir, "cache");
        assert.equal(materializeHarness(engines, cache), materializeHarness(source, cache));
      },
    })
  )());
