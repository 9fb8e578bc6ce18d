/** `llem results` as a user runs it, on a study `llem run` wrote against the stand-ins. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { manifestOf, run, twoByTwoStudy, withMeasuredStudy } from "../../tests/study_fixture.ts";

const twoByTwo = twoByTwoStudy("table");

Deno.test("llem results prints a row per experiment with its metrics across cycles, as text, CSV or JSON", async () => {
  await withMeasuredStudy(twoByTwo, async (study, dir) => {
    const text = await run(["results", dir], study);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.match(lines[0]!, /^study table \(completed, 4 of 4 runs completed\): /);
    assert.match(
      lines[1]!,
      /^ {2}exp {2}engine {8}model .* generation\.max_new_tokens {2}cycles {2}energy J/,
    );
    assert.match(lines[2]!, /^ {2}1 .* 4 {2,}2\/2 {2,}\d+\.\d ±\d+\.\d/);
    assert.match(lines[3]!, /^ {2}2 .* 8 {2,}2\/2 /);

    const csv = await run(["results", dir, "--csv"], study);
    const [header, ...rows] = csv.stdout.trim().split("\n");
    assert.ok(header!.startsWith("study,study_dir,experiment,engine,model,value.generation.max_new_tokens,"));
    assert.ok(header!.includes(",energy_j.mean,") && header!.includes(",mj_per_tok.ci95_high,"));
    assert.equal(rows.length, 2);

    const json = JSON.parse((await run(["results", dir, "--json", "--sort", "mj_per_tok"], study)).stdout);
    const [first, second] = json.studies[0].rows;
    assert.ok(first.metrics.mj_per_tok.mean <= second.metrics.mj_per_tok.mean, "sorted by mJ/token");
    assert.equal(first.metrics.energy_j.n, 2);
    // The tables' energy is the runs' own: the mean of what the manifest recorded.
    const energies = manifestOf(dir).experiments.filter((r) => r.experiment === first.experiment)
      .map((r) => r.total_energy_j!);
    assert.ok(Math.abs(first.metrics.energy_j.mean - (energies[0]! + energies[1]!) / 2) < 1e-9);
  });
});

Deno.test("llem results shows what a damaged or partial study lacks, and refuses what is not a study", async () => {
  await withMeasuredStudy(twoByTwo, async (study, dir) => {
    const damaged = manifestOf(dir).experiments[0]!.dir;
    Deno.writeTextFileSync(join(dir, damaged, "result.json"), "{");
    const partial = await run(["results", dir], study);
    assert.equal(partial.code, 0, partial.stderr);
    assert.match(partial.stdout, /\n {2}1 .* 1\/2 .*1 of 2 cycles; 1 unreadable/);

    const compared = await run(["results", dir, "--baseline", dir], study);
    assert.equal(compared.code, 0, compared.stderr);
    assert.match(compared.stdout, /base exp {2}mJ\/tok vs base/);
    assert.match(
      compared.stdout,
      /vs base: ratio of means, and the difference with its 95% CI \(Welch's t\)/,
    );
    // A baseline of another sweep (other hashes, other values) has nothing to compare with.
    const other = `${study.dir}/other_2026-01-01T00-00-00`;
    await new Deno.Command("cp", { args: ["-r", dir, other] }).output();
    const plan = JSON.parse(Deno.readTextFileSync(join(other, "_study-artefacts", "plan.json")));
    for (const experiment of plan.experiments) {
      experiment.measurement_config_hash = "ffffffffffffffff";
      experiment.config.generation.max_new_tokens = 99;
    }
    Deno.writeTextFileSync(join(other, "_study-artefacts", "plan.json"), JSON.stringify(plan));
    const unmatched = await run(["results", dir, "--baseline", other], study);
    assert.equal(unmatched.code, 2, unmatched.stderr);
    assert.match(unmatched.stderr, /no experiment of .* matches one of the baseline/);

    const notStudy = await run(["results", study.dir], study);
    assert.equal(notStudy.code, 2);
    assert.match(notStudy.stderr, /has no manifest\.json: it is not an llem study/);
    for (const args of [["--sort", "speed"], ["--json", "--csv"]]) {
      const refused = await run(["results", dir, ...args], study);
      assert.equal(refused.code, 2, refused.stderr);
      assert.doesNotMatch(refused.stderr, /at .*\.ts:\d+/, "no stack");
    }
  });
});
