/** `llem report` on a damaged study: bad input naming the file, never a stack. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { manifestOf, run, twoByTwoStudy, withMeasuredStudy } from "../../tests/study_fixture.ts";

Deno.test("llem report refuses a study with a truncated Parquet file (exit 2), naming the file", async () => {
  await withMeasuredStudy(twoByTwoStudy("damaged"), async (study, dir) => {
    const requests = join(dir, manifestOf(dir).experiments[1]!.dir, "requests.parquet");
    Deno.truncateSync(requests, 20);
    const result = await run(["report", dir, "-o", join(study.dir, "report.html")], study);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`cannot read "${requests}"`));
    assert.match(result.stderr, /--resume measures a run with damaged files again/);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack");
  });
});
