import assert from "node:assert/strict";
import { temporaryPathFor, withAtomicFile, writeFileAtomic, writeJsonAtomic } from "./write_atomic.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

Deno.test(
  "writeFileAtomic() replaces a file's content, 0644 by default and another mode on request",
  inTempDir((dir) => {
    writeFileAtomic(`${dir}/a.txt`, "old");
    writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("new"));
    assert.equal(Deno.readTextFileSync(`${dir}/a.txt`), "new");
    if (Deno.build.os !== "windows") {
      assert.equal(Deno.statSync(`${dir}/a.txt`).mode! & 0o777, 0o644);
      writeFileAtomic(`${dir}/b.txt`, "x", { mode: 0o640 });
      assert.equal(Deno.statSync(`${dir}/b.txt`).mode! & 0o777, 0o640);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.txt", "b.txt"]);
  }),
);

Deno.test(
  "a temporary file left by a crash mid-write leaves the old file intact and is ignored by the next write",
  inTempDir((dir) => {
    const path = `${dir}/manifest.json`;
    writeJsonAtomic(path, { done: 1 });
    // What a writer killed between its write and its rename leaves behind: half a document.
    const leftover = temporaryPathFor(path);
    Deno.writeTextFileSync(leftover, '{"done": 2, "experi');
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)), { done: 1 });
    writeJsonAtomic(path, { done: 3 });
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)), { done: 3 });
    assert.equal(Deno.readTextFileSync(leftover), '{"done": 2, "experi');
  }),
);

Deno.test(
  "writeFileAtomic() into a missing folder fails naming the file and leaves nothing behind",
  inTempDir((dir) => {
    assert.throws(
      () => writeFileAtomic(`${dir}/missing/x.json`, "{}"),
      /Cannot write ".*missing\/x\.json": /,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  }),
);

Deno.test(
  "withAtomicFile() renames what the producer wrote, and removes it when the producer throws",
  inTempDir(async (dir) => {
    const path = `${dir}/t.parquet`;
    await withAtomicFile(path, async (temporary) => {
      assert.ok(temporary.startsWith(`${dir}/.t.parquet.`) && temporary.endsWith(".tmp"), temporary);
      await Deno.writeTextFile(temporary, "first", { mode: 0o600 });
    });
    assert.equal(Deno.readTextFileSync(path), "first");
    if (Deno.build.os !== "windows") assert.equal(Deno.statSync(path).mode! & 0o777, 0o644);
    await assert.rejects(
      withAtomicFile(path, async (temporary) => {
        await Deno.writeTextFile(temporary, "half");
        throw new Error("disk full");
      }),
      /Cannot write ".*t\.parquet": disk full/,
    );
    assert.equal(Deno.readTextFileSync(path), "first");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["t.parquet"]);
  }),
);

Deno.test(
  "a reader never sees incomplete JSON while another process rewrites it, nor after that process is killed",
  inTempDir(async (dir) => {
    const path = `${dir}/manifest.json`;
    const writer = `${dir}/writer.ts`;
    const module = new URL("./write_atomic.ts", import.meta.url).href;
    // Large enough (about 1 MB) that a plain, non-atomic write would be caught half-done.
    Deno.writeTextFileSync(
      writer,
      `import { writeJsonAtomic } from ${JSON.stringify(module)};
       const rows = Array.from({ length: 20000 }, (_, i) => ({ index: i, status: "completed", energy: i * 1.5 }));
       for (let n = 0; ; n++) writeJsonAtomic(${JSON.stringify(path)}, { n, rows });`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, writer],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const deadline = Date.now() + 30_000;
      let reads = 0;
      let lastN = -1;
      while (reads < 200 && Date.now() < deadline) {
        let text: string;
        try {
          text = Deno.readTextFileSync(path);
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          throw error;
        }
        const document = JSON.parse(text); // throws on a torn write
        assert.equal(document.rows.length, 20000);
        lastN = document.n;
        reads++;
      }
      assert.equal(reads, 200, "the writer did not start");
      assert.ok(lastN > 0, "the writer never rewrote the file");
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel();
    }
    const survivor = JSON.parse(Deno.readTextFileSync(path));
    assert.equal(survivor.rows.length, 20000);
  }),
);
