import assert from "node:assert/strict";
import { join } from "node:path";
import { inTempDir } from "../../tests/in_temp_dir.ts";
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
