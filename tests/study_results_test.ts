/** The results API (mod.ts's loadStudy) over a study `llem run` wrote against the stand-ins. */
import assert from "node:assert/strict";
import { durationSec, loadStudy, tokensPerJoule } from "../mod.ts";
import { twoByTwoStudy, withMeasuredStudy } from "./study_fixture.ts";

const twoByTwo = twoByTwoStudy("api");

Deno.test("loadStudy() gives summaries at once, and requests, timeseries and LLMeter's statistics on demand", async () => {
  await withMeasuredStudy(twoByTwo, async (_study, dir) => {
    const results = loadStudy(dir);
    assert.equal(results.manifest.summary.completed, 4);
    const table = results.table();
    assert.deepEqual(table.map((row) => [row.experiment, row.cycles.completed]), [[1, 2], [2, 2]]);

    const first = results.runs[0]!;
    const requests = await results.requests(first.entry.dir);
    assert.equal(requests.length, first.result!.latency_stats!.request_count);
    assert.ok(requests.every((r) => r.run_dir === first.entry.dir && r.time_to_last_token! > 0));
    const stats = await results.requestStatistics(first.entry.dir);
    assert.equal(stats.total_output_tokens, first.result!.total_tokens);
    assert.ok(stats["time_to_first_token-p50"]! > 0);

    const tokens = await results.getDimension("num_tokens_output", {
      dimension: "run_dir",
      value: first.entry.dir,
    });
    assert.deepEqual(tokens, requests.map((r) => r.num_tokens_output));
    assert.equal(
      (await results.getDimension("time_to_first_token")).length,
      (await results.requests()).length,
    );
    await assert.rejects(() => results.getDimension("colour"), /no request has the dimension "colour"/);

    const samples = await results.timeseries(first.entry.dir);
    assert.ok(samples.length > 0 && "power_w" in samples[0]!);
    assert.ok(durationSec(first.result!) > 0);
    assert.equal(tokensPerJoule(first.result!), first.result!.total_tokens / first.result!.total_energy_j);
    assert.equal(tokensPerJoule({ total_tokens: 5, total_energy_j: 0 }), 0);
  });
});
