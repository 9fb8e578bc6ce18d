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
    "s.yaml:1:1: expected a mapping of config keys at the top level, found a string",
  );
});

Deno.test("parseSourceFile() never quotes the content of a file that is not a mapping", () => {
  for (const text of ["hf_SUPERSECRETTOKEN\n", "12345678\n", "- hf_LISTSECRET\n", "true\n"]) {
    const message = problemOf(() => parseSourceFile("token", bytes(text)));
    assert.match(message, /^token:1:1: expected a mapping of config keys at the top level, found a /);
    assert.doesNotMatch(message, /SECRET|12345678|true/);
  }
});

Deno.test("parseSourceFile() refuses alias bombs instead of exhausting memory", () => {
  let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 8; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  assert.match(
    problemOf(() => parseSourceFile("bomb.yaml", bytes(text))),
    /^bomb\.yaml: cannot expand aliases/,
  );
});

/** How many array elements the array search methods visited while `fn` ran: a count of work, not a time. */
function elementsSearched(fn: () => void): number {
  const names = ["some", "every", "find", "findIndex", "findLast", "includes", "indexOf", "filter"] as const;
  const originals = names.map((name) => Array.prototype[name]);
  let visited = 0;
  names.forEach((name, i) => {
    const original = originals[i] as (...args: unknown[]) => unknown;
    Object.defineProperty(Array.prototype, name, {
      value: function (this: unknown[], ...args: unknown[]) {
        visited += this.length;
        return original.apply(this, args);
      },
      configurable: true,
      writable: true,
    });
  });
  try {
    fn();
  } finally {
    names.forEach((name, i) => {
      Object.defineProperty(Array.prototype, name, {
        value: originals[i],
        configurable: true,
        writable: true,
      });
    });
  }
  return visited;
}

Deno.test("parseSourceFile() checks a mapping's keys for repeats in work linear in their number", () => {
  // Comparing each key with every earlier one took 28 s for 40,000 keys and never ended for 240,000.
  const mapping = (n: number) =>
    bytes(`model: gpt2\nextra:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}\n`).join("")}`);
  const small = elementsSearched(() => parseSourceFile("s.yaml", mapping(2000)));
  const large = elementsSearched(() => parseSourceFile("s.yaml", mapping(8000)));
  // Four times the keys: about four times the work if linear, sixteen times if quadratic.
  assert.ok(large < 6 * small + 1000, `searched ${small} elements for 2,000 keys, ${large} for 8,000`);
});

Deno.test("parseSourceFile() finds repeated keys in block and flow mappings, at every level", () => {
  assert.equal(
    problemOf(() => parseSourceFile("s.yaml", bytes("a: 1\nb: {c: 1, d: 2, c: 3}\n"))),
    "s.yaml:2:17: duplicate key: each key may appear once in a mapping",
  );
  assert.equal(
    problemOf(() => parseSourceFile("s.yaml", bytes("a:\n  - x: 1\n    x: 2\n"))),
    "s.yaml:3:5: duplicate key: each key may appear once in a mapping",
  );
  // 1 and "1" are different YAML scalars but the same key of the data: the second would silently win.
  assert.match(
    problemOf(() => parseSourceFile("s.yaml", bytes('1: a\n"1": b\n'))),
    /^s\.yaml:2:1: duplicate key/,
  );
});

Deno.test("parseSourceFile() names where a repeated key first appears", () => {
  try {
    parseSourceFile("s.yaml", bytes("a: 1\nb: 2\na: 3\n"));
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems[0]!.hint, "remove or merge the repeated key (first at line 1)");
  }
});

Deno.test("parseSourceFile() still allows several merge keys in one mapping", () => {
  const data = parseSourceFile("a.yaml", bytes("x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: *x\n  <<: *y\n")).data;
  assert.deepEqual(data, { x: { a: 1 }, y: { b: 2 }, z: { a: 1, b: 2 } });
});

Deno.test("parseSourceFile() holds a .json file to JSON's grammar, with the line and column", () => {
  assert.equal(
    problemOf(() => parseSourceFile("c.json", bytes('{"model": "gpt2",}'))),
    'c.json:1:18: JSON syntax: expected a double-quoted key, found "}"',
  );
  assert.equal(
    problemOf(() => parseSourceFile("c.json", bytes('{\n  "model": "gpt2",\n  "n": [1, 2,]\n}\n'))),
    'c.json:3:14: JSON syntax: expected a value, found "]"',
  );
  assert.equal(
    problemOf(() => parseSourceFile("c.JSON", bytes("{'model': 'gpt2'}"))),
    'c.JSON:1:2: JSON syntax: expected a double-quoted key or "}", found "\'"',
  );
  assert.equal(
    problemOf(() => parseSourceFile("c.json", bytes('{"model": "gpt2"} # note\n'))),
    'c.json:1:19: JSON syntax: expected the end of the file, found "#"',
  );
  // The same text is a valid YAML file.
  assert.deepEqual(parseSourceFile("c.yaml", bytes('{"model": "gpt2",}')).data, { model: "gpt2" });
});

Deno.test("parseSourceFile() reads valid JSON, tabs, escapes and all", () => {
  const text = '{\n\t"model": "g\\u00e9\\n",\n\t"n": [-1.5e3, 0, true, false, null, {}, []]\n}\n';
  assert.deepEqual(parseSourceFile("c.json", bytes(text)).data, {
    model: "g\u00e9\n",
    n: [-1500, 0, true, false, null, {}, []],
  });
});

Deno.test("parseSourceFile() refuses a YAML version it does not read, and tags it does not know", () => {
  assert.equal(
    problemOf(() => parseSourceFile("v.yaml", bytes("%YAML 9.9\n---\nmodel: gpt2\n"))),
    "v.yaml:1:7: YAML: Unsupported YAML version 9.9",
  );
  assert.deepEqual(parseSourceFile("v.yaml", bytes("%YAML 1.2\n---\nmodel: gpt2\n")).data, { model: "gpt2" });
  assert.equal(
    problemOf(() => parseSourceFile("t.yaml", bytes("model: !secret gpt2\n"))),
    "t.yaml:1:8: YAML: Unresolved tag: !secret",
  );
});

Deno.test("parseSourceFile() clips the fragment of the file a YAML syntax error quotes", () => {
  const message = problemOf(() => parseSourceFile("s.yaml", bytes(`a: |${"x".repeat(500)}\n  text\n`)));
  assert.match(
    message,
    /^s\.yaml:1:5: YAML syntax: Block scalar header includes extra characters: \|x+\.\.\.$/,
  );
  assert.ok(message.length < 150, message);
});
