/**
 * `deno test` runs each test file in its own worker and, at the worker's end, runs the Node-API
 * finalizers still pending. Deno 2.9.5 could then run a DuckDB handle's finalizer a second time (once at
 * teardown, once more from the garbage collector's queued callback, or after a finalizer entry was
 * removed by data pointer instead of by identity), which crashed the whole test process with SIGSEGV in
 * `FinalizeData<...>::Wrapper` between two test files (fixed in Deno 2.9.6). Twenty DuckDB test files
 * in one child `deno test` crashed it in most runs on 2.9.5.
 */
import assert from "node:assert/strict";
import { inTempDir } from "./in_temp_dir.ts";

const repo = new URL("../", import.meta.url).pathname;
const FILES = 20;

Deno.test(
  "twenty DuckDB test files in one deno test process tear down without a crash",
  inTempDir(async (dir) => {
    const fixture = new URL("./duckdb_teardown_fixture.ts", import.meta.url).href;
    const files = [];
    for (let i = 1; i <= FILES; i++) {
      const file = `${dir}/teardown_${String(i).padStart(2, "0")}_test.ts`;
      Deno.writeTextFileSync(
        file,
        `import { duckdbThenGarbage } from "${fixture}";\nduckdbThenGarbage("${i}");\n`,
      );
      files.push(file);
    }
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--config",
        `${repo}deno.json`,
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        ...files,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.signal, null, `the child deno test died of ${output.signal}:\n${text.slice(-2000)}`);
    assert.equal(output.code, 0, text.slice(-2000));
    assert.match(text, new RegExp(`^ok \\| ${FILES} passed \\| 0 failed`, "m"));
  }),
);
