/** The README's examples must print what it says they print. */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/run_cli.ts";

const repo = new URL("../", import.meta.url).pathname;
const readme = Deno.readTextFileSync(`${repo}README.md`);

/** The first fenced block after `marker`, as lines. */
function blockAfter(marker: string): string[] {
  const start = readme.indexOf(marker);
  assert.ok(start >= 0, `README lacks "${marker}"`);
  const open = readme.indexOf("```", start);
  const body = readme.indexOf("\n", open) + 1;
  return readme.slice(body, readme.indexOf("```", body)).split("\n").filter((line) => line.trim() !== "");
}

/** Every README line except "..." appears in the actual output, in the same order. */
function assertAbridgedOutput(expected: string[], actual: string): void {
  const lines = actual.split("\n");
  let at = 0;
  for (const line of expected) {
    if (line.trim() === "...") continue;
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `README line not in output (in order): ${JSON.stringify(line)}`);
    at = found + 1;
  }
}

Deno.test("README: llem plan examples/study.yaml prints what the README shows", async () => {
  let stdout = "";
  const code = await runCli(["plan", "examples/study.yaml"], {
    out: (text) => stdout += text,
    err: () => {},
    env: {},
    cwd: repo,
  });
  assert.equal(code, 0);
  assertAbridgedOutput(blockAfter("`llem plan examples/study.yaml` prints"), stdout);
});

Deno.test("README: the bad-input example matches the readme_errors golden case", () => {
  const stderr = Deno.readTextFileSync(`${repo}tests/golden/readme_errors/stderr`);
  assertAbridgedOutput(blockAfter("Bad input exits with code 2"), stderr);
});

Deno.test("README: the first commands are the two fresh-machine commands", () => {
  const [main, tests] = blockAfter("On a fresh machine with Node.js");
  assert.match(main!, /^npm ci && npx deno task llem run examples\/study\.yaml/);
  assert.match(tests!, /^npm ci && npx deno task check/);
  assert.match(Deno.readTextFileSync(`${repo}.ci/run`), /npx deno task check/);
});
