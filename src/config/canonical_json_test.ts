import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";

Deno.test("canonicalJson sorts top-level keys regardless of insertion order", () => {
  assert.equal(canonicalJson({ b: 1, a: 2, c: 3 }), '{"a":2,"b":1,"c":3}');
  assert.equal(canonicalJson({ c: 3, b: 1, a: 2 }), '{"a":2,"b":1,"c":3}');
  assert.equal(canonicalJson({ a: 2, c: 3, b: 1 }), '{"a":2,"b":1,"c":3}');
});

Deno.test("canonicalJson sorts keys at every depth, including inside arrays", () => {
  const value = { z: { y: { x: 1, w: 2 }, v: [{ u: 1, t: 2 }, { s: { r: 1, q: 2 } }] }, a: 0 };
  assert.equal(
    canonicalJson(value),
    '{"a":0,"z":{"v":[{"t":2,"u":1},{"s":{"q":2,"r":1}}],"y":{"w":2,"x":1}}}',
  );
});

Deno.test("canonicalJson is identical for every permutation of insertion order", () => {
  const entries: [string, unknown][] = [["alpha", 1], ["beta", { y: 1, x: 2 }], ["gamma", [3, 2, 1]], [
    "Delta",
    null,
  ]];
  const permutations = (items: [string, unknown][]): [string, unknown][][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((item, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
      );
  const outputs = new Set(permutations(entries).map((p) => canonicalJson(Object.fromEntries(p))));
  assert.equal(outputs.size, 1);
  // Sorting is by UTF-16 code unit, so uppercase sorts before lowercase.
  assert.equal([...outputs][0], '{"Delta":null,"alpha":1,"beta":{"x":2,"y":1},"gamma":[3,2,1]}');
});

Deno.test("canonicalJson sorts keys by code unit, not locale", () => {
  assert.equal(canonicalJson({ b: 1, B: 2, a: 3, _: 4, "é": 5 }), '{"B":2,"_":4,"a":3,"b":1,"é":5}');
  assert.equal(canonicalJson({ ab: 1, a: 2, aa: 3 }), '{"a":2,"aa":3,"ab":1}');
});

Deno.test("canonicalJson gives the same output for the same shape with different key orders, repeatedly", () => {
  // The sorted-keys cache is keyed by insertion order; each order must still come out sorted.
  for (let i = 0; i < 3; i++) {
    assert.equal(canonicalJson({ m: 1, n: 2 }), '{"m":1,"n":2}');
    assert.equal(canonicalJson({ n: 2, m: 1 }), '{"m":1,"n":2}');
  }
});

Deno.test("canonicalJson orders integer-like keys independently of insertion order", () => {
  const a = canonicalJson({ "10": "x", "9": "y", b: 1, a: 2 });
  const b = canonicalJson({ a: 2, b: 1, "9": "y", "10": "x" });
  assert.equal(a, b);
  assert.deepEqual(JSON.parse(a), { "10": "x", "9": "y", a: 2, b: 1 });
});

Deno.test("canonicalJson writes no whitespace", () => {
  const text = canonicalJson({ list: [1, 2, { nested: [true, false, null] }], text: "a b", obj: { k: "v" } });
  assert.equal(text, '{"list":[1,2,{"nested":[true,false,null]}],"obj":{"k":"v"},"text":"a b"}');
  // The only space is the one inside the string value.
  assert.equal(text.replace('"a b"', "").match(/\s/), null);
});

Deno.test("canonicalJson writes 1 and 1.0 identically, and floats in shortest round-trip form", () => {
  assert.equal(canonicalJson({ x: 1 }), canonicalJson({ x: 1.0 }));
  assert.equal(canonicalJson({ x: 1.0 }), '{"x":1}');
  assert.equal(canonicalJson(0.1 + 0.2), "0.30000000000000004");
  assert.equal(canonicalJson(1e21), "1e+21");
  assert.equal(canonicalJson(2.5), "2.5");
  assert.equal(canonicalJson(-3), "-3");
});

Deno.test("canonicalJson writes -0 as 0", () => {
  assert.equal(canonicalJson(-0), "0");
  assert.equal(canonicalJson({ x: -0 }), canonicalJson({ x: 0 }));
  assert.equal(canonicalJson([-0]), "[0]");
});

Deno.test("canonicalJson drops undefined members", () => {
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.equal(canonicalJson({ a: undefined }), "{}");
  assert.equal(canonicalJson({ outer: { gone: undefined, kept: null } }), '{"outer":{"kept":null}}');
  assert.equal(canonicalJson({ a: undefined, b: 1 }), canonicalJson({ b: 1 }));
});

Deno.test("canonicalJson keeps null members", () => {
  assert.equal(canonicalJson({ a: null }), '{"a":null}');
  assert.notEqual(canonicalJson({ a: null }), canonicalJson({}));
});

Deno.test("canonicalJson keeps array order and writes undefined array items as null", () => {
  assert.equal(canonicalJson([3, 1, 2]), "[3,1,2]");
  assert.equal(canonicalJson(["b", "a"]), '["b","a"]');
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  assert.equal(canonicalJson([1, undefined, 3]), "[1,null,3]");
  assert.equal(canonicalJson([[2, 1], [{ b: 1, a: 2 }]]), '[[2,1],[{"a":2,"b":1}]]');
});

Deno.test("canonicalJson rejects NaN and infinities with a RangeError", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => canonicalJson(bad), RangeError);
    assert.throws(() => canonicalJson({ a: { b: bad } }), RangeError);
    assert.throws(() => canonicalJson([1, [2, bad]]), RangeError);
  }
  assert.throws(() => canonicalJson({ x: NaN }), /NaN/);
  assert.throws(() => canonicalJson({ x: -Infinity }), /-Infinity/);
});

Deno.test("canonicalJson escapes strings exactly as JSON.stringify does", () => {
  const strings = [
    'say "hi"',
    "back\\slash",
    "line\nbreak\ttab\r",
    "\u0000\u0001\u001f",
    "é ü 中文 😀",
    "\u2028\u2029",
    "\ud800", // lone surrogate
    "",
  ];
  for (const s of strings) {
    assert.equal(canonicalJson(s), JSON.stringify(s));
    assert.equal(canonicalJson({ [s]: s }), `{${JSON.stringify(s)}:${JSON.stringify(s)}}`);
    assert.deepEqual(JSON.parse(canonicalJson({ v: s })), { v: s });
  }
  assert.equal(canonicalJson('a"b'), '"a\\"b"');
});

Deno.test("canonicalJson writes scalars as JSON", () => {
  assert.equal(canonicalJson(null), "null");
  assert.equal(canonicalJson(true), "true");
  assert.equal(canonicalJson(false), "false");
  assert.equal(canonicalJson("x"), '"x"');
  assert.equal(canonicalJson(42), "42");
  assert.equal(canonicalJson({}), "{}");
  assert.equal(canonicalJson([]), "[]");
});

Deno.test("canonicalJson round-trips nested records to equal data", () => {
  const record = {
    model: "m",
    gpus: [0, "GPU-abc"],
    generation: { dtype: "bfloat16", decoding: { top_p: 1, temperature: 0.7, seed: 42 } },
    vllm: { extra: { "some-flag": true, nested: { deep: [1, { b: 2, a: 1 }] } } },
    window: null,
  };
  const text = canonicalJson(record);
  assert.deepEqual(JSON.parse(text), record);
  // Re-canonicalising the parsed output is a fixed point.
  assert.equal(canonicalJson(JSON.parse(text)), text);
});

Deno.test("canonicalJson distinguishes different values", () => {
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: "1" }));
  assert.notEqual(canonicalJson({ a: { b: 1 } }), canonicalJson({ a: { b: 2 } }));
  assert.notEqual(canonicalJson({ a: 1, b: 2 }), canonicalJson({ a: 2, b: 1 }));
  assert.notEqual(canonicalJson({ ab: 1 }), canonicalJson({ a: 1, b: 1 }));
});

Deno.test("canonicalJson does not mutate its input", () => {
  const input = { b: { d: 1, c: 2 }, a: [{ z: 1, y: 2 }], u: undefined };
  canonicalJson(input);
  assert.deepEqual(Object.keys(input), ["b", "a", "u"]);
  assert.deepEqual(Object.keys(input.b), ["d", "c"]);
  assert.deepEqual(Object.keys(input.a[0]!), ["z", "y"]);
});

Deno.test({
  name: "canonicalJson keeps keys containing NUL characters (no shape-cache collision)",
  // The sorted-keys cache once joined key names with "\u0000", so the single key "a\u0000b" had the
  // same shape as the keys ["a", "b"] and was written with the wrong keys.
  fn() {
    assert.equal(canonicalJson({ a: 1, b: 2 }), '{"a":1,"b":2}');
    assert.equal(canonicalJson({ "a\u0000b": 1 }), '{"a\\u0000b":1}');
    assert.notEqual(canonicalJson({ "a\u0000b": 1 }), canonicalJson({ "a\u0000b": 2 }));
  },
});

Deno.test("canonicalJson sorts integer-like keys as text, like Python's sort_keys", () => {
  assert.equal(canonicalJson({ a: 3, "10": 1, "9": 2 }), '{"10":1,"9":2,"a":3}');
  assert.equal(canonicalJson({ x: [{ "2": true, "10": false }] }), '{"x":[{"10":false,"2":true}]}');
});
