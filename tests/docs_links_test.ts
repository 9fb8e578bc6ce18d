/** Every relative link in README.md and docs/*.md names a file inside the repository, and an anchor it has. */
import assert from "node:assert/strict";

const repo = new URL("../", import.meta.url).pathname;

/** The markdown pages checked: the README and every page under docs/. */
function pages(): string[] {
  const docs = [...Deno.readDirSync(`${repo}docs`)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`);
  return ["README.md", ...docs.sort()];
}

/** Link targets of a page's `[text](target)` links, code spans and fenced blocks left out. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
}

/** The anchors of a markdown file's headings. */
function anchors(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm);
  return new Set([...headings].map((match) => anchor(match[1]!)));
}

/** `target` resolved against the folder of `page`, relative to the repository root; null if it leaves it. */
function resolve(page: string, target: string): string | null {
  const parts = page.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

Deno.test("README and docs: relative links name files in the repository and anchors they have", () => {
  for (const page of pages()) {
    const text = Deno.readTextFileSync(`${repo}${page}`);
    for (const target of linkTargets(text)) {
      if (/^[a-z]+:/.test(target)) continue; // a web address, not a file
      const [path, hash] = target.split("#");
      const file = path ? resolve(page, path) : page;
      assert.ok(file !== null, `${page}: ${target} points outside the repository`);
      let stat: Deno.FileInfo | undefined;
      try {
        stat = Deno.statSync(`${repo}${file}`);
      } catch {
        assert.fail(`${page}: ${target}: ${file} does not exist`);
      }
      if (hash && stat.isFile && file.endsWith(".md")) {
        const found = anchors(Deno.readTextFileSync(`${repo}${file}`));
        assert.ok(found.has(hash), `${page}: ${target}: no heading with anchor #${hash} in ${file}`);
      }
    }
  }
});

Deno.test("README and docs: no page names a design document or a folder outside the repository", () => {
  for (const page of pages()) {
    const text = Deno.readTextFileSync(`${repo}${page}`);
    assert.doesNotMatch(text, /DESIGN\.md|\.\.\/shared/, page);
  }
});

Deno.test("docs links: anchors follow GitHub's rule", () => {
  assert.equal(anchor("How a study runs"), "how-a-study-runs");
  assert.equal(anchor("result.json"), "resultjson");
  assert.equal(anchor("`measurement.baseline`"), "measurementbaseline");
  assert.equal(anchor("Engines, the harness and runners"), "engines-the-harness-and-runners");
  assert.equal(resolve("docs/a.md", "../README.md"), "README.md");
  assert.equal(resolve("README.md", "../outside.md"), null);
});
