import assert from "node:assert/strict";
import { jsonChunks } from "./json_chunks.ts";

Deno.test("jsonChunks() joins to JSON.stringify(value, null, 2) at every depth, edge cases included", () => {
  const values: unknown[] = [
    {
      a: 1,
      b: [1, { c: "x\ny" }, []],
      d: {},
      e: undefined,
      f: null,
      g: [undefined, () => 1],
      h: new Date(0),
    },
    [],
    {},
    "s",
    null,
    [[[1]], { x: { y: { z: [2] } } }],
  ];
  for (const value of values) {
    for (const depth of [0, 1, 2, 3, 6]) {
      assert.equal(
        [...jsonChunks(value, { depth })].join(""),
        JSON.stringify(value, null, 2),
        `depth ${depth}`,
      );
    }
  }
});

Deno.test("jsonChunks() writes a long array member by member", () => {
  const value = { items: Array.from({ length: 1000 }, (_, i) => ({ i, name: `item ${i}` })) };
  const chunks = [...jsonChunks(value, { depth: 2 })];
  assert.ok(chunks.length > 1000);
  assert.ok(Math.max(...chunks.map((chunk) => chunk.length)) < 100);
});
