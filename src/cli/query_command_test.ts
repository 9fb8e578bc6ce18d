/** `llem query` as a user runs it, over a study `llem run` wrote against the stand-ins. */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { experimentYaml, manifestOf, run, withMeasuredStudy } from "../../tests/study_fixture.ts";

const twoRuns = (model: string) => `
name: sql
${
  experimentYaml(model, "execution: {n_cycles: 2}").replace(
    "baseline: {enabled: true",
    "baseline: {enabled: false",
  )
}
`;

Deno.test("llem query runs DuckDB SQL over a study's runs, results, timeseries and requests", async () => {
  await withMeasuredStudy(twoRuns, async (study, dir) => {
    const manifest = manifestOf(dir);
    const query = async (sql: string, ...rest: string[]) => {
      const result = await run(["query", sql, ...rest], study);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    const json = async (sql: string) => JSON.parse(await query(sql, "results", "--format", "json"));

    const [runs] = await json("select count(*) as n, sum(total_energy_j) as joules from runs");
    assert.deepEqual([runs.n, Math.abs(runs.joules - manifest.summary.total_energy_j) < 1e-9], [2, true]);
    const results = await json(
      "select run_dir, total_energy_j, latency_stats.request_count as requests from experiments order by run_dir",
    );
    assert.deepEqual(
      results.map((r: { run_dir: string }) => r.run_dir),
      manifest.experiments.map((r) => r.dir),
    );
    // No RAPL in the test's environment: the CPU view is empty, but has its columns.
    assert.deepEqual(await json("select count(*) as n, sum(energy_j) as joules from cpu_timeseries"), [{
      n: 0,
      joules: null,
    }]);
    const requests = await json(
      "select run_dir, count(*) as n from requests group by run_dir order by run_dir",
    );
    assert.deepEqual(
      requests.map((r: { n: number }) => r.n),
      results.map((r: { requests: number }) => r.requests),
    );
    const joined = await json(
      "select r.run_dir, count(*) as samples from runs r join timeseries t using (study_dir, run_dir) " +
        "group by r.run_dir order by r.run_dir",
    );
    assert.equal(joined.length, 2);
    assert.ok(joined.every((r: { samples: number }) => r.samples > 0));

    // Named directly or through its folder, a study's runs join its files on (study_dir, run_dir).
    // (relative, with a trailing slash, as a shell completes it; llem runs in the study's folder).
    for (const where of [`${relative(study.dir, dir)}/`, dir, "results"]) {
      const [joinedRuns] = JSON.parse(
        await query(
          "select count(*) as n from runs join experiments using (study_dir, run_dir)",
          where,
          "--format",
          "json",
        ),
      );
      assert.equal(joinedRuns.n, 2, where);
    }
    const table = await query("select run_index, status from runs order by run_index", dir);
    assert.deepEqual(table.trim().split("\n"), [
      "run_index  status",
      "1          completed",
      "2          completed",
      "(2 rows)",
    ]);
    const csv = await query("select run_index, model from runs order by 1", "--format", "csv");
    assert.equal(csv.split("\n")[0], "run_index,model");
  });
});

Deno.test("llem query: SQL errors, unknown formats, folders without studies and damaged files exit 2", async () => {
  await withMeasuredStudy(twoRuns, async (study, dir) => {
    const refused = async (args: string[], message: RegExp) => {
      const result = await run(["query", ...args], study);
      assert.equal(result.code, 2, result.stderr + result.stdout);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack");
    };
    await refused(["selec 1"], /Parser Error[^]*hint: the views are runs, experiments, timeseries, requests/);
    await refused(["select 1", "--format", "xml"], /unknown format "xml"/);
    await refused(["select 1", study.dir + "/cache"], /holds no llem study|cannot read/);
    const timeseries = join(dir, manifestOf(dir).experiments[0]!.dir, "timeseries.parquet");
    Deno.truncateSync(timeseries, 100);
    await refused(["select count(*) from timeseries"], /timeseries\.parquet/);
  });
});
