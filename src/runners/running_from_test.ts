import assert from "node:assert/strict";
import { processPaths, runningFrom } from "./running_from.ts";

Deno.test("runningFrom() tells a checkout, an embedded binary and a self-extracted one apart", () => {
  const cases: [string, string, unknown][] = [
    ["file:///home/a/llem/main.ts", "/usr/bin/deno", { kind: "source", mainModule: "/home/a/llem/main.ts" }],
    // deno compile's files, under the temp dir, named after the binary; the root may sit above the project.
    ["file:///tmp/deno-compile-llem/work/llem/main.ts", "/shared/apps/llem", {
      kind: "embedded",
      binary: "/shared/apps/llem",
    }],
    ["file:///scratch/job/deno-compile-llem/main.ts", "/opt/llem", { kind: "embedded", binary: "/opt/llem" }],
    ["file:///shared/apps/.llem/0123456789abcdef/main.ts", "/shared/apps/llem", {
      kind: "self_extracted",
      binary: "/shared/apps/llem",
      extractedTo: "/shared/apps/.llem/0123456789abcdef",
      place: "beside_binary",
    }],
    ["file:///home/a/.local/share/llem/0123456789abcdef/work/main.ts", "/shared/ro/llem", {
      kind: "self_extracted",
      binary: "/shared/ro/llem",
      extractedTo: "/home/a/.local/share/llem/0123456789abcdef",
      place: "data_dir",
    }],
  ];
  for (const [mainModule, execPath, expected] of cases) {
    assert.deepEqual(runningFrom({ mainModule, execPath }), expected, mainModule);
  }
});

Deno.test("runningFrom() knows a renamed binary by its new name, as Deno names its folders", () => {
  const binary = "/opt/llem-1.2";
  assert.equal(
    runningFrom({ mainModule: "file:///tmp/deno-compile-llem-1.2/main.ts", execPath: binary }).kind,
    "embedded",
  );
  assert.equal(
    runningFrom({ mainModule: "file:///tmp/deno-compile-llem/main.ts", execPath: binary }).kind,
    "source",
  );
  // Rust's file_stem() of "llem-1.2" is "llem-1".
  assert.deepEqual(
    runningFrom({ mainModule: "file:///opt/.llem-1/00000000000000ff/main.ts", execPath: binary }),
    {
      kind: "self_extracted",
      binary,
      extractedTo: "/opt/.llem-1/00000000000000ff",
      place: "beside_binary",
    },
  );
});

Deno.test("runningFrom() of the tests is a checkout", () => {
  assert.equal(runningFrom(processPaths()).kind, "source");
});
