/**
 * `llem run` as a user runs it (a separate llem process) against the NVML stand-in and the test engine:
 * what it leaves on disk when it stops before a study, and how it says to resume one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { experimentYaml, run, studyDirs, withStudy } from "../../tests/study_fixture.ts";

const noBaseline = (model: string, extra = "", engine?: string) =>
  experimentYaml(model, extra, engine).replace("baseline: {enabled: true", "baseline: {enabled: false");

Deno.test("llem run --dry-run, or a failed preflight, creates no results folder", async () => {
  await withStudy((model) => noBaseline(model), async (study) => {
    study.env.TMPDIR = Deno.makeTempDirSync({ dir: study.dir });
    const dryRun = await run(["run", study.file, "-o", "out/results", "--dry-run"], study);
    assert.equal(dryRun.code, 0, dryRun.stderr + dryRun.stdout);
    assert.match(dryRun.stdout, /preflight: ready/);
    assert.throws(() => Deno.statSync(join(study.dir, "out")), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(study.env.TMPDIR)], [], "nothing in $TMPDIR either");
  });
  await withStudy(() => noBaseline("./no-such-model"), async (study) => {
    const refused = await run(["run", study.file, "-o", "out/results"], study);
    assert.equal(refused.code, 3, refused.stderr + refused.stdout);
    assert.match(refused.stderr, /nothing was run/);
    assert.throws(() => Deno.statSync(join(study.dir, "out")), Deno.errors.NotFound);
  });
});

Deno.test("leftovers llem may not judge are a warning, not the end of llem run", async (t) => {
  if (Deno.uid() !== 0) {
    await t.step({ name: "SKIPPED: making another user's folder needs root", ignore: true, fn: () => {} });
    return;
  }
  await withStudy((model) => noBaseline(model), async (study) => {
    study.env.TMPDIR = Deno.makeTempDirSync({ dir: study.dir });
    // llem's private folder made by another user (or a program squatting on its name).
    const squatted = join(study.env.TMPDIR, `llem-${Deno.uid()}`);
    Deno.mkdirSync(squatted);
    Deno.chownSync(squatted, 65534, 65534);
    const dryRun = await run(["run", study.file, "-o", "results", "--dry-run"], study);
    assert.equal(dryRun.code, 0, dryRun.stderr + dryRun.stdout);
    assert.match(
      dryRun.stderr + dryRun.stdout,
      /could not look for what a killed llem left: .*belongs to uid 65534/,
    );
  });
});

Deno.test("a study that ends with runs left prints the exact command that resumes it, shell-quoted", async () => {
  // Two runs; the first is killed for memory and max_consecutive_failures: 1 stops the study before the
  // second. The config's name has a space and a quote, as a shell must be told.
  const yaml = (model: string) => `
name: resumable
${noBaseline(model, "execution: {max_consecutive_failures: 1}", "{fail: oom, fail_on_window: 1}")}
sweep:
  generation.max_new_tokens: [4, 8]
`;
  await withStudy(yaml, async (study) => {
    const config = join(study.dir, "my study's.yaml");
    Deno.renameSync(study.file, config);
    const result = await run(["run", config, "-o", "results"], { ...study, file: config });
    assert.equal(result.code, 4, result.stderr + result.stdout);
    assert.match(result.stdout, /study stopped: 0 completed, 1 failed, 1 pending/);
    const [dir] = studyDirs(study);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.at(-1), `results: ${dir}`);
    const quotedConfig = `'${study.dir}/my study'\\''s.yaml'`;
    assert.equal(lines.at(-2), `resume: llem run ${quotedConfig} ${dir} --resume`);
  });
});
