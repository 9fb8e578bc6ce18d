/** The boundaries of DESIGN.md §2.1, enforced by reading import lines and calls. */
import assert from "node:assert/strict";

const repo = new URL("../", import.meta.url).pathname;

function sources(dir: string): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${repo}${dir}`)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return found; // a folder not written yet
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...sources(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      found.push({ path, text: Deno.readTextFileSync(`${repo}${path}`) });
    }
  }
  return found;
}

const PURE = ["src/config", "src/measure", "src/engines"];

Deno.test("pure folders use no Deno APIs and no I/O modules", () => {
  for (const dir of PURE) {
    for (const file of sources(dir)) {
      assert.doesNotMatch(file.text, /\bDeno\./, `${file.path} uses Deno.*`);
      assert.doesNotMatch(
        file.text,
        /from "node:(fs|child_process|net|http|os|process)/,
        `${file.path} does I/O`,
      );
    }
  }
});

Deno.test("only src/cli prints or exits", () => {
  for (const file of sources("src")) {
    if (file.path.startsWith("src/cli/")) continue;
    assert.doesNotMatch(file.text, /console\.(log|error|warn|info)|Deno\.exit|Deno\.std(out|err)/, file.path);
  }
});

Deno.test("only src/runners spawns processes", () => {
  for (const file of sources("src")) {
    if (file.path.startsWith("src/runners/")) continue;
    assert.doesNotMatch(file.text, /Deno\.Command|node:child_process/, file.path);
  }
});

Deno.test("only src/gpu imports ffi/", () => {
  for (const file of sources("src")) {
    if (file.path.startsWith("src/gpu/")) continue;
    assert.doesNotMatch(file.text, /from "(\.\.\/)+ffi\//, file.path);
  }
});

Deno.test("src/ has no barrel or utils files", () => {
  for (const file of sources("src")) {
    const name = file.path.split("/").pop()!;
    assert.ok(!["mod.ts", "index.ts", "utils.ts", "helpers.ts"].includes(name), file.path);
  }
});
