/**
 * `.ci/run` ends with a plain "N passed, N failed" line whatever happened: a crash of the test process is
 * reported as a crash with the counts so far (not as a format or lint failure), a failing test as a
 * failure, a lint error as one failure. Checked against saved logs through `.ci/run --summarize`.
 */
import assert from "node:assert/strict";

const repo = new URL("../", import.meta.url).pathname;

async function summarize(log: string, status: number): Promise<{ code: number; lines: string[] }> {
  const output = await new Deno.Command("bash", {
    args: [`${repo}.ci/run`, "--summarize", `${repo}tests/ci_logs/${log}`, String(status)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  return { code: output.code, lines: text.trim().split("\n") };
}

Deno.test(".ci/run reports a test process that crashed as a crash, with the tests counted so far", async () => {
  const { code, lines } = await summarize("crash.log", 139);
  assert.notEqual(code, 0);
  assert.ok(
    lines.some((l) =>
      l.startsWith("the test process crashed (exit code 139, SIGSEGV) after 4 passed, 2 failed")
    ),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "4 passed, 3 failed");
  assert.ok(!lines.some((l) => /format, lint or type check/.test(l)));
});

Deno.test(".ci/run counts top-level results only: steps and a test's own output are not tests", async () => {
  const { code, lines } = await summarize("failing.log", 1);
  assert.notEqual(code, 0);
  assert.equal(lines.at(-1), "3 passed, 2 failed");
});

Deno.test(".ci/run reports a lint failure before any test as one failure", async () => {
  const { code, lines } = await summarize("lint.log", 1);
  assert.notEqual(code, 0);
  assert.ok(
    lines.some((l) => /check failed before the tests completed \(format, lint or type check\)/.test(l)),
  );
  assert.equal(lines.at(-1), "0 passed, 1 failed");
});
