import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { parseSourceFile } from "./source_file.ts";

const bytes = (text: string) => ({ kind: "file" as const, bytes: new TextEncoder().encode(text) });

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("parseSourceFile() parses YAML and JSON into data", () => {
  assert.deepEqual(parseSourceFile("a.yaml", bytes("model: m\nn: 1.0\n")).data, { model: "m", n: 1 });
  assert.deepEqual(parseSourceFile("a.json", bytes('{"model": "m", "n": [1, 2]}')).data, {
    model: "m",
    n: [1, 2],
  });
});

Deno.test("parseSourceFile() supports anchors and merge keys", () => {
  const data = parseSourceFile("a.yaml", bytes("x: &d {a: 1}\ny:\n  <<: *d\n  b: 2\n")).data;
  assert.deepEqual(data, { x: { a: 1 }, y: { a: 1, b: 2 } });
});

Deno.test("parseSourceFile() names missing files, folders, binary and empty files", () => {
  assert.equal(problemOf(() => parseSourceFile("x.yaml", { kind: "missing" })), "x.yaml: no such file");
  assert.match(problemOf(() => parseSourceFile("d", { kind: "directory" })), /^d: is a directory/);
  assert.match(
    problemOf(() => parseSourceFile("b", { kind: "file", bytes: new Uint8Array([1, 0, 2]) })),
    /^b: is a binary file/,
  );
  assert.match(
    problemOf(() => parseSourceFile("b", { kind: "file", bytes: new Uint8Array([0xc3, 0x28]) })),
    /^b: is a binary file/,
  );
  assert.match(problemOf(() => parseSourceFile("e.yaml", bytes("# only a comment\n"))), /^e\.yaml: is empty/);
  assert.match(problemOf(() => parseSourceFile("e.yaml", bytes(""))), /^e\.yaml: is empty/);
});

Deno.test("parseSourceFile() locates YAML syntax errors and duplicate keys", () => {
  assert.match(
    problemOf(() => parseSourceFile("s.yaml", bytes("a: 1\nb: [1, 2\n"))),
    /^s\.yaml:3:1: YAML syntax: /,
  );
  assert.equal(
    problemOf(() => parseSourceFile("s.yaml", bytes("a:\n  b: 1\n  b: 2\n"))),
    "s.yaml:3:3: duplicate key: each key may appear once in a mapping",
  );
});

Deno.test("parseSourceFile() rejects a top level that is not a mapping", () => {
  assert.equal(
    problemOf(() => parseSourceFile("s.yaml", bytes("- a\n- b\n"))),
    "s.yaml:1:1: expected a mapping of config keys at the top level, found a list",
  );
  assert.equal(
    problemOf(() => parseSourceFile("s.yaml", bytes("just words\n"))),
    's.yaml:1:1: expected a mapping of config keys at the top level, found the value "just words"',
  );
});

Deno.test("parseSourceFile() refuses alias bombs instead of exhausting memory", () => {
  let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 8; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  assert.match(
    problemOf(() => parseSourceFile("bomb.yaml", bytes(text))),
    /^bomb\.yaml: cannot expand aliases/,
  );
});
