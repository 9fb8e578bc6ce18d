/**
 * One study split over several `llem run --shard I/N` processes into one directory (what a Slurm array
 * runs), end to end against the NVML stand-in and the test engine: the union equals the study run whole,
 * a shard run again does nothing twice, an interrupted shard resumes, and mistakes are refused clearly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readManifest } from "../src/results/manifest_store.ts";
import { experimentYaml, llem, run, type Study, studyDirs, withStudy } from "./study_fixture.ts";

/** Three experiments (dtype reloads the model) × 2 cycles, interleaved: each experiment one block. */
const studyYaml = (model: string) =>
  experimentYaml(model).replace(
    "generation: {batch_size: 2, max_new_tokens: 8}",
    "generation: {batch_size: 2, max_new_tokens: 8}",
  ) +
  `
sweep:
  generation.dtype: [float16, bfloat16, float32]
execution: {n_cycles: 2, order: interleave, experiment_gap_seconds: 0, cycle_gap_seconds: 0}
`;

const TWO_GPUS = "gpu_count = 2\ngpu.0.power = const:70\ngpu.1.power = const:70\n";

/** A shard's run on its own stand-in GPU, as a Slurm task sees its allocation. */
function shard(study: Study, spec: string, dir: string) {
  const gpu = spec.split("/")[0] === "0" ? "0" : "1";
  return run(["run", study.file, dir, "--shard", spec], {
    ...study,
    env: { ...study.env, CUDA_VISIBLE_DEVICES: gpu },
  });
}

/** What identifies a study's runs: index, experiment, cycle, hash, directory, status. */
function runsOf(dir: string) {
  return readManifest(dir).experiments.map((r) =>
    [r.index, r.experiment, r.cycle, r.measurement_config_hash, r.dir, r.status].join(" ")
  ).sort();
}

Deno.test("a study run as two concurrent shards into one directory equals the study run whole", async () => {
  await withStudy(studyYaml, async (study) => {
    const whole = await run(["run", study.file, "-o", "results"], study);
    assert.equal(whole.code, 0, whole.stderr + whole.stdout);
    const [wholeDir] = studyDirs(study);
    const sharded = join(study.dir, "sharded");
    const [a, b] = await Promise.all([shard(study, "0/2", sharded), shard(study, "1/2", sharded)]);
    assert.equal(a.code, 0, a.stderr + a.stdout);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const union = readManifest(sharded);
    assert.equal(union.status, "completed");
    assert.equal(union.shards, 2);
    assert.deepEqual(runsOf(sharded), runsOf(wholeDir!));
    assert.equal(union.summary.completed, 6);
    // manifest.json on disk is the union too, for readers that do not know about parts.
    const onDisk = JSON.parse(Deno.readTextFileSync(join(sharded, "manifest.json")));
    assert.equal(onDisk.status, "completed");
    assert.equal(onDisk.experiments.filter((r: { status: string }) => r.status === "completed").length, 6);
    // Statistics across cycles for every experiment, each from the one shard that ran both its cycles.
    assert.deepEqual(Object.keys(union.uncertainty).sort(), ["1", "2", "3"]);
    const results = await run(["results", sharded], study);
    assert.equal(results.code, 0, results.stderr);
    // A requeued task runs its command again: nothing is measured twice.
    const again = await shard(study, "1/2", sharded);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(runsOf(sharded), runsOf(wholeDir!));
    const runDirs = [...Deno.readDirSync(sharded)].filter((e) => /^\d{3}_/.test(e.name));
    assert.equal(runDirs.length, 6, "one directory per run, no duplicates");
  }, TWO_GPUS);
});

Deno.test("a shard stopped by SIGTERM is interrupted, and the same command finishes it", async () => {
  await withStudy(studyYaml, async (study) => {
    const dir = join(study.dir, "sharded");
    const child = llem(["run", study.file, dir, "--shard", "0/1"], study);
    // Stop it once its first run has started (its part says so).
    const part = join(dir, "manifest.shard-0-of-1.json");
    for (let i = 0; i < 600; i++) {
      try {
        if (readManifest(dir).experiments.some((r) => r.status !== "pending")) break;
      } catch { /* not created yet */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGTERM");
    const stopped = await child.output();
    assert.equal(
      stopped.code,
      130,
      new TextDecoder().decode(stopped.stderr) + new TextDecoder().decode(stopped.stdout),
    );
    assert.equal(JSON.parse(Deno.readTextFileSync(part)).status, "interrupted");
    assert.equal(readManifest(dir).status, "interrupted");
    const resumed = await run(["run", study.file, dir, "--shard", "0/1"], study);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    const union = readManifest(dir);
    assert.equal(union.status, "completed");
    assert.equal(union.summary.completed, 6);
    assert.equal(new Set(union.experiments.map((r) => r.dir)).size, 6);
  });
});

Deno.test("--shard refuses what would mix studies: out of range, another split, a whole study, no directory", async () => {
  await withStudy(studyYaml, async (study) => {
    const dir = join(study.dir, "sharded");
    const outOfRange = await run(["run", study.file, dir, "--shard", "2/2"], study);
    assert.equal(outOfRange.code, 2);
    assert.match(outOfRange.stderr, /--shard "2\/2": the index must be 0 to 1/);
    const noDir = await run(["run", study.file, "--shard", "0/2"], study);
    assert.equal(noDir.code, 2);
    assert.match(noDir.stderr, /needs the study's directory/);
    const first = await shard(study, "0/2", dir);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const otherSplit = await run(["run", study.file, dir, "--shard", "0/3"], study);
    assert.equal(otherSplit.code, 2);
    assert.match(otherSplit.stderr, /is split into 2 shards, not 3/);
    const wholeResume = await run(["run", study.file, dir, "--resume"], study);
    assert.equal(wholeResume.code, 2);
    assert.match(wholeResume.stderr, /split into 2 shards: each is resumed on its own/);
    const whole = await run(["run", study.file, "-o", "results"], study);
    assert.equal(whole.code, 0);
    const [wholeDir] = studyDirs(study);
    const joinWhole = await run(["run", study.file, wholeDir!, "--shard", "0/2"], study);
    assert.equal(joinWhole.code, 2);
    assert.match(joinWhole.stderr, /is a study of its own, not one split into shards/);
    // A part of another split dropped in the directory: readers refuse rather than mix.
    Deno.copyFileSync(join(dir, "manifest.shard-0-of-2.json"), join(dir, "manifest.shard-0-of-3.json"));
    const results = await run(["results", dir], study);
    assert.equal(results.code, 2);
    assert.match(results.stderr, /shard-0-of-3 is not one of the study's 2 shards/);
  });
});

Deno.test("a shard killed with SIGKILL reads as interrupted, not running; folders that are not studies are refused", async () => {
  await withStudy(studyYaml, async (study) => {
    const dir = join(study.dir, "sharded");
    const child = llem(["run", study.file, dir, "--shard", "0/1"], study);
    for (let i = 0; i < 1200; i++) {
      try {
        if (readManifest(dir).experiments.some((r) => r.status === "completed")) break;
      } catch { /* not created yet */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGKILL");
    await child.output();
    // The part still says running (nobody wrote its end), but no llem holds its lock.
    assert.equal(
      JSON.parse(Deno.readTextFileSync(join(dir, "manifest.shard-0-of-1.json"))).status,
      "running",
    );
    assert.equal(readManifest(dir).status, "interrupted");
    const status = await run(["slurm", "status", dir], study);
    assert.match(status.stdout, /^0 +interrupted/m);
    // A folder holding other things never becomes a study; a file is not a folder.
    Deno.mkdirSync(join(study.dir, "busy"));
    Deno.writeTextFileSync(join(study.dir, "busy", "notes.txt"), "mine");
    const foreign = await run(["run", study.file, join(study.dir, "busy"), "--shard", "0/2"], study);
    assert.equal(foreign.code, 2, foreign.stderr);
    assert.match(foreign.stderr, /is not an llem study and is not empty \(notes\.txt\)/);
    const file = await run(
      ["run", study.file, join(study.dir, "busy", "notes.txt"), "--shard", "0/2"],
      study,
    );
    assert.equal(file.code, 2, file.stderr);
    assert.match(file.stderr, /is a file/);
    const both = await run(["run", study.file, dir, "--shard", "0/1", "--resume"], study);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--shard takes neither --resume nor -o/);
  });
});
