/**
 * `llem slurm` on a real one-node Slurm cluster (scripts/slurm/local_cluster.sh, which .ci/run brings up;
 * skipped, visibly, without one, and failed instead under LLEM_REQUIRE_SLURM=1): array tasks run the shards
 * of one study against the NVML stand-in and the test engine into one directory, and a task stopped with
 * SIGTERM is requeued by its script and finishes its shard.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readManifest } from "../src/results/manifest_store.ts";
import { experimentYaml, run, studyDirs, withStudy } from "./study_fixture.ts";

/** Whether a Slurm controller answers and its node can take jobs. */
function slurmUp(): boolean {
  try {
    const output = new Deno.Command("sinfo", { args: ["-h", "-o", "%t"], stdout: "piped", stderr: "null" })
      .outputSync();
    return output.success && /idle|mix|alloc/.test(new TextDecoder().decode(output.stdout));
  } catch {
    return false;
  }
}

const UP = slurmUp();
if (!UP && Deno.env.get("LLEM_REQUIRE_SLURM") === "1") {
  throw new Error(
    "LLEM_REQUIRE_SLURM=1 but no Slurm cluster answers: bash scripts/slurm/local_cluster.sh up",
  );
}
if (!UP) console.log("slurm_study_test: skipped, no Slurm cluster (bash scripts/slurm/local_cluster.sh up)");

/** Three experiments (dtype reloads the model) × 2 cycles, interleaved: three groups to split. */
const studyYaml = (model: string) =>
  experimentYaml(model) + `
sweep:
  generation.dtype: [float16, bfloat16, float32]
execution: {n_cycles: 2, order: interleave, experiment_gap_seconds: 0, cycle_gap_seconds: 0}
`;

/** The cluster's node offers 4 GPUs; the stand-in has 4, so CUDA_VISIBLE_DEVICES names one of them. */
const FOUR_GPUS = "gpu_count = 4\n" + [0, 1, 2, 3].map((i) => `gpu.${i}.power = const:70\n`).join("");

function runsOf(dir: string) {
  return readManifest(dir).experiments.map((r) =>
    [r.index, r.experiment, r.cycle, r.measurement_config_hash, r.dir, r.status].join(" ")
  ).sort();
}

async function until(what: string, test: () => boolean, seconds: number): Promise<void> {
  for (let waited = 0; waited < seconds * 4; waited++) {
    try {
      if (test()) return;
    } catch { /* not there yet */ }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

function squeueEmpty(jobId: string): boolean {
  const output = new Deno.Command("squeue", { args: ["-h", "-j", jobId], stdout: "piped", stderr: "null" })
    .outputSync();
  return new TextDecoder().decode(output.stdout).trim() === "";
}

Deno.test({
  name: "llem slurm --submit: two array tasks complete one study, equal to the study run whole",
  ignore: !UP,
  fn: async () => {
    await withStudy(studyYaml, async (study) => {
      const whole = await run(["run", study.file, "-o", "results"], study);
      assert.equal(whole.code, 0, whole.stderr + whole.stdout);
      const [wholeDir] = studyDirs(study);
      const dir = join(study.dir, "sharded");
      const submitted = await run(
        ["slurm", study.file, "--array", "2", "--gpus-per-task", "1", "--study-dir", dir, "--submit"],
        study,
      );
      assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout);
      const jobId = /submitted job (\d+)/.exec(submitted.stdout)![1]!;
      await until("the array job", () => squeueEmpty(jobId) && readManifest(dir).status === "completed", 300);
      assert.deepEqual(runsOf(dir), runsOf(wholeDir!));
      const status = await run(["slurm", "status", dir], study);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /completed, 6\/6 runs completed/);
      // Each task got its GPU from Slurm's allocation: both shards ran, on the GPUs Slurm gave them.
      assert.deepEqual(Object.keys(readManifest(dir).uncertainty).sort(), ["1", "2", "3"]);
    }, FOUR_GPUS);
  },
});

Deno.test({
  name: "a task stopped with scancel --signal=TERM requeues itself and finishes its shard, nothing twice",
  ignore: !UP,
  fn: async () => {
    await withStudy(studyYaml, async (study) => {
      const dir = join(study.dir, "sharded");
      const submitted = await run(
        ["slurm", study.file, "--array", "1", "--study-dir", dir, "--submit"],
        study,
      );
      assert.equal(submitted.code, 0, submitted.stderr + submitted.stdout);
      const jobId = /submitted job (\d+)/.exec(submitted.stdout)![1]!;
      await until(
        "a run to start",
        () => readManifest(dir).experiments.some((r) => r.status === "completed"),
        180,
      );
      const cancel = await new Deno.Command("scancel", { args: ["--signal=TERM", "--batch", `${jobId}_0`] })
        .output();
      assert.ok(cancel.success, new TextDecoder().decode(cancel.stderr));
      await until(
        "the requeued task to finish",
        () => squeueEmpty(jobId) && readManifest(dir).status === "completed",
        300,
      );
      const part = JSON.parse(Deno.readTextFileSync(join(dir, "manifest.shard-0-of-1.json")));
      assert.ok(part.resumes.length >= 1, "the requeued task resumed the shard");
      const union = readManifest(dir);
      assert.equal(union.summary.completed, 6);
      const runDirs = [...Deno.readDirSync(dir)].filter((e) => /^\d{3}_/.test(e.name));
      assert.equal(runDirs.length, 6, "one directory per run, no duplicates");
      const log = Deno.readTextFileSync(join(dir, "_slurm", "shard-0.out"));
      assert.match(log, /interrupted|resume/, "the first start stopped cleanly");
    });
  },
});

Deno.test("llem slurm without Slurm: the script is written, --submit exits 3 saying so; bad values exit 2", async () => {
  await withStudy(studyYaml, async (study) => {
    const dir = join(study.dir, "sharded");
    const noSlurm = { ...study, env: { ...study.env, PATH: join(study.dir, "empty-bin") } };
    const submitted = await run(["slurm", study.file, "--study-dir", dir, "--submit"], noSlurm);
    assert.equal(submitted.code, 3, submitted.stderr);
    assert.match(submitted.stderr, /there is no Slurm on this machine/);
    assert.match(
      Deno.readTextFileSync(join(dir, "_slurm", "llem.sbatch")),
      /--shard "\$SLURM_ARRAY_TASK_ID\/3"/,
    );
    const early = await run(["slurm", "status", dir], study);
    assert.equal(early.code, 0, early.stderr);
    assert.match(early.stdout, /no shard has started yet/);
    const badArray = await run(
      ["slurm", study.file, "--array", "0", "--study-dir", join(study.dir, "b")],
      study,
    );
    assert.equal(badArray.code, 2);
    assert.match(badArray.stderr, /--array "0": expected a whole number of 1 or more/);
    const whole = await run(["run", study.file, "-o", "results"], study);
    assert.equal(whole.code, 0);
    const notSharded = await run(["slurm", "status", studyDirs(study)[0]!], study);
    assert.equal(notSharded.code, 2);
    assert.match(notSharded.stderr, /not one split into shards/);
    const intoWhole = await run(["slurm", study.file, "--study-dir", studyDirs(study)[0]!], study);
    assert.equal(intoWhole.code, 2);
    assert.match(intoWhole.stderr, /is a study of its own, not one split into shards/);
  });
});
