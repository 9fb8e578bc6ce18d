/** Resuming a study: only as it was started, by one llem at a time, into a directory no one else has. */
import assert from "node:assert/strict";
import { fakeRequest, fakeSetup, fakeWorld, quickExperiment } from "../../tests/study_runner_fixture.ts";
import { claimStudyDir } from "../results/claim_study_dir.ts";
import { readManifest } from "../results/manifest_store.ts";
import { lockStudy, StudyBusy } from "../results/study_lock.ts";
import { runStudy } from "./run_study.ts";
import { resolveStudyRequest } from "./study_request.ts";
import { UsageError } from "../errors/usage_error.ts";
import type { PlanOverrides } from "../config/plan_study.ts";

const twoByTwo = `
name: resume
${quickExperiment("execution: {n_cycles: 2, order: interleave, max_consecutive_failures: 0}")}
sweep:
  generation.max_new_tokens: [4, 8]
`;

/** A study of `twoByTwo` whose run 2 failed, written to disk with its config; the world is kept. */
async function studyWithFailedRun() {
  // Run 2 (experiment 2, cycle 0) fails; the others complete.
  const world = fakeWorld({ scripts: [{ fault: { on: "go", window: 2, how: "exit" } }, {}] });
  Deno.writeTextFileSync(`${world.dir}/study.yaml`, twoByTwo);
  const first = await runStudy(fakeSetup(fakeRequest(twoByTwo, world.dir)), world.ports);
  assert.deepEqual(first.manifest.experiments.map((r) => r.status), [
    "completed",
    "failed",
    "completed",
    "completed",
  ]);
  return { world, dir: first.studyDir };
}

Deno.test("a resume with another order or number of cycles is refused, naming what changed", async () => {
  const { world, dir } = await studyWithFailedRun();
  try {
    const before = Deno.readTextFileSync(`${dir}/manifest.json`);
    const resume = (execution: { order?: "sequential"; n_cycles?: number }) =>
      resolveStudyRequest({
        configPath: `${world.dir}/study.yaml`,
        cwd: world.dir,
        overrides: { execution },
        resume: { dir },
      }, {});
    assert.throws(() => resume({ order: "sequential" }), (error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /in another order: run 2 was experiment 2 in cycle 0/);
      assert.match(error.message, /execution\.order is now sequential/);
      assert.match(error.hint ?? "", /give the --order and --cycles it was started with/);
      return true;
    });
    assert.throws(
      () => resume({ n_cycles: 5 }),
      /started with 2 cycle\(s\) \(4 runs\); the plan now has 5 \(10 runs\)/,
    );
    assert.equal(Deno.readTextFileSync(`${dir}/manifest.json`), before, "nothing was changed");
    // The same plan resumes, and runs the failed run as the experiment it was.
    const request = resume({});
    assert.equal(request.resume?.dir, dir);
    const second = await runStudy(fakeSetup(request), world.ports);
    assert.equal(second.status, "completed");
    assert.deepEqual(second.experiments.map((r) => [r.experiment_id, r.measurement_config_hash, r.cycle]), [
      [second.manifest.experiments[1]!.dir, second.manifest.experiments[1]!.measurement_config_hash, 0],
    ]);
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
});

Deno.test("a manifest whose run directory is not the one its hash names is refused on resume", async () => {
  const { world, dir } = await studyWithFailedRun();
  try {
    const manifest = readManifest(dir);
    // Swap the failed run's directory with another experiment's: its results would land there.
    manifest.experiments[1]!.dir = manifest.experiments[0]!.dir.replace(/^001/, "002");
    Deno.writeTextFileSync(`${dir}/manifest.json`, JSON.stringify(manifest));
    assert.throws(
      () =>
        resolveStudyRequest({ configPath: `${world.dir}/study.yaml`, cwd: world.dir, resume: { dir } }, {}),
      /run 2's directory "002_c0_.*" is not the one its cycle and config hash/,
    );
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
});

Deno.test("a second llem on a study that one is running is refused at once; the study, once free, resumes", async () => {
  const { world, dir } = await studyWithFailedRun();
  try {
    const request = () =>
      resolveStudyRequest({ configPath: `${world.dir}/study.yaml`, cwd: world.dir, resume: { dir } }, {});
    // Resolved before the other llem took the study (as two llem processes started together): the lock
    // decides, and the manifest names who holds it.
    const late = request();
    const other = await lockStudy(dir);
    await assert.rejects(() => runStudy(fakeSetup(late), world.ports), (error) => {
      assert.ok(error instanceof StudyBusy);
      assert.match(error.message, new RegExp(`being run by another llem \\(pid ${Deno.pid}`));
      return true;
    });
    // Resolved while it runs: refused before preflight, naming the directory or not.
    assert.throws(request, StudyBusy);
    assert.throws(
      () =>
        resolveStudyRequest(
          { configPath: `${world.dir}/study.yaml`, cwd: world.dir, resume: {}, outputDir: "results" },
          {},
        ),
      StudyBusy,
    );
    other.release();
    const first = runStudy(fakeSetup(late), world.ports);
    const outcome = await first;
    assert.equal(outcome.status, "completed");
    assert.deepEqual(
      outcome.manifest.experiments.map((r) => r.attempts),
      [1, 2, 1, 1],
      "each run measured once",
    );
    // Finished: the lock is free, and a resume of the finished study runs nothing.
    const again = await runStudy(fakeSetup(request()), world.ports);
    assert.equal(again.experiments.length, 0);
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
});

Deno.test("two new studies of one name started in the same second get directories of their own", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const now = new Date("2026-05-07T10:00:00Z");
    const first = claimStudyDir(`${dir}/results`, { name: "s", now });
    const second = claimStudyDir(`${dir}/results`, { name: "s", now });
    assert.equal(first, `${dir}/results/s_2026-05-07T10-00-00`);
    assert.equal(second, `${first}-2`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a resume on other GPUs or another runner is refused: environment fields are not in the hash", async () => {
  const swept = `
name: envs
${quickExperiment("execution: {n_cycles: 2}")}
sweep:
  gpus: [[0], [1]]
`;
  const world = fakeWorld({ gpus: 2, scripts: [{ fault: { on: "go", window: 2, how: "exit" } }, {}] });
  try {
    const resume = (dir: string, change: { overrides?: PlanOverrides; file: string }) => {
      Deno.writeTextFileSync(`${world.dir}/study.yaml`, change.file);
      const configPath = `${world.dir}/study.yaml`;
      return resolveStudyRequest(
        { configPath, cwd: world.dir, overrides: change.overrides, resume: { dir } },
        {},
      );
    };
    const first = await runStudy(fakeSetup(fakeRequest(swept, world.dir)), world.ports);
    // The sweep's values swapped: the same experiments by hash, each on the other GPU.
    assert.throws(
      () => resume(first.studyDir, { file: swept.replace("[[0], [1]]", "[[1], [0]]") }),
      /experiment 1's gpus was \[0\], is now \[1\]; experiment 2's gpus was \[1\], is now \[0\]/,
    );
    assert.equal(
      resume(first.studyDir, { file: swept }).resume?.dir,
      first.studyDir,
      "unchanged, it resumes",
    );
    const single = quickExperiment("gpus: [0]\nexecution: {n_cycles: 2}");
    const second = await runStudy(fakeSetup(fakeRequest(single, world.dir)), world.ports);
    assert.throws(
      () => resume(second.studyDir, { file: single, overrides: { experiment: { gpus: [1] } } }),
      /experiment 1's gpus was \[0\], is now \[1\]/,
    );
    assert.throws(
      () => resume(second.studyDir, { file: single, overrides: { experiment: { runner: "docker" } } }),
      /experiment 1's runner was "process", is now "docker"/,
    );
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
});
