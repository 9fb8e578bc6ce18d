import assert from "node:assert/strict";
import { isMap, type YAMLMap } from "yaml";
import { locateNode } from "./locate_node.ts";
import { parseSourceFile } from "./source_file.ts";

const source = (text: string) =>
  parseSourceFile("s.yaml", { kind: "file", bytes: new TextEncoder().encode(text) });

Deno.test("locateNode() finds keys written nested or dotted, and list items", () => {
  const file = source("model: m\ngeneration.batch_size: 4\ndataset:\n  n_prompts: 8\ngpus: [0, 1]\n");
  const at = (path: (string | number)[], key = false) => {
    const { position, depth } = locateNode(file, file.doc.contents, path, { key });
    return `${position.line}:${position.column}/${depth}`;
  };
  assert.equal(at(["generation", "batch_size"]), "2:24/2");
  assert.equal(at(["dataset", "n_prompts"], true), "4:3/2");
  assert.equal(at(["gpus", 1]), "5:11/2");
  // A path that leaves the file stops at the deepest node it reached.
  assert.equal(at(["dataset", "seed"]), "4:3/1");
});

Deno.test("locateNode() finds every key of a large mapping in work linear in its size", () => {
  // Each problem's location was found by scanning its mapping from the start: 240,000 unknown keys never ended.
  const n = 4000;
  const file = source(`generation:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}\n`).join("")}`);
  const map = (file.doc.contents as YAMLMap).items[0]!.value;
  assert.ok(isMap(map));
  let reads = 0;
  map.items = new Proxy(map.items, {
    get(target, property, receiver) {
      if (typeof property === "string" && /^\d+$/.test(property)) reads += 1;
      return Reflect.get(target, property, receiver);
    },
  });
  for (let i = 0; i < n; i++) {
    const { position } = locateNode(file, file.doc.contents, ["generation", `k${i}`], { key: true });
    assert.equal(position.line, i + 2);
  }
  assert.ok(reads < 4 * n, `read ${reads} items to locate ${n} keys`);
});
