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

Deno.test("llem report and export to a folder that does not exist, or one llem may not write, exit 2 or 3, no stack", async () => {
  await withMeasuredStudy(twoByTwoStudy("nowhere"), async (study, dir) => {
    const readOnly = join(study.dir, "read-only");
    Deno.mkdirSync(readOnly, { mode: 0o555 });
    const cases: [string[], number, RegExp][] = [
      [["report", dir, "-o", join(study.dir, "no-such-folder", "r.html")], 2, /its folder does not exist/],
      [
        ["export", dir, "--format", "csv", "-o", join(study.dir, "no-such-folder", "t.csv")],
        2,
        /its folder does not exist/,
      ],
    ];
    // Root may write anywhere: the read-only case only means something for another user.
    if (Deno.uid() !== 0) {
      cases.push([["report", dir, "-o", join(readOnly, "r.html")], 3, /permission denied/]);
    }
    for (const [args, code, message] of cases) {
      const result = await run(args, study);
      assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack");
    }
  });
});
