/** `llem validate` as a user runs it, on a study `llem run` wrote against the stand-ins. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { manifestOf, run, twoByTwoStudy, withMeasuredStudy } from "../../tests/study_fixture.ts";

Deno.test("llem validate names each check a run fails, with its reason; --strict exits 4", async () => {
  await withMeasuredStudy(twoByTwoStudy("checks"), async (study, dir) => {
    // The stand-in engine's windows last a fraction of a second: every run fails window_length.
    const damaged = manifestOf(dir).experiments[3]!.dir;
    Deno.writeTextFileSync(join(dir, damaged, "result.json"), "{}");
    const plain = await run(["validate", dir], study);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /: 0 of 4 runs pass every check\n/);
    assert.match(plain.stdout, /\n {4}window_length: window of \d+\.\d\d s, under 10 s\n/);
    assert.match(
      plain.stdout,
      new RegExp(`\\n {2}${damaged}\\n {4}completed: result\\.json is not a valid result`),
    );
    const strict = await run(["validate", dir, "--strict", "--json"], study);
    assert.equal(strict.code, 4, strict.stderr);
    const verdict = JSON.parse(strict.stdout);
    // Every run fails; an experiment whose cycles happened to vary by more than 10% counts too.
    assert.equal(verdict.failures, 4 + verdict.studies[0].experiments.length);
    assert.ok(verdict.studies[0].runs.every((r: { failed: { check: string }[] }) => r.failed.length > 0));
    const notStudy = await run(["validate", study.dir], study);
    assert.equal(notStudy.code, 2);
  });
});
