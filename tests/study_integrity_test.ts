/**
 * Fault injection against `llem run` as a user runs it (separate processes, the NVML stand-in, the test
 * engine): kill -9 at every phase, two llem processes on one study, a resume with another order or number
 * of cycles, damaged result files, failed runs to retry and the wall-clock limit. Each ends with a study
 * whose every result is in its own run's folder, measured once per attempt.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Manifest } from "../src/results/manifest_schema.ts";
import {
  experimentYaml,
  llem,
  manifestOf,
  resultOf,
  run,
  type Study,
  studyDirs,
  withStudy,
} from "./study_fixture.ts";

/** Two experiments × two cycles, interleaved; the test engine fails while `cure` does not exist. */
const twoByTwo = (engineExtra: string) => (model: string) => `
name: integrity
${
  experimentYaml(
    model,
    "execution: {n_cycles: 2, order: interleave, max_consecutive_failures: 0}",
    engineExtra,
  )
    .replace("baseline: {enabled: true", "baseline: {enabled: false")
}
sweep:
  generation.max_new_tokens: [4, 8]
`;

/** Run the study once: some runs fail (exit 4); its output and directory. */
async function runWithFailures(study: Study, flags: string[] = []) {
  const first = await run(["run", study.file, "-o", "results", ...flags], study);
  assert.equal(first.code, 4, first.stderr + first.stdout);
  const [dir] = studyDirs(study);
  return { first, dir };
}

/** Every completed run's result is of that run: its folder, config hash and cycle; its tokens its config's. */
function assertEveryResultInItsFolder(dir: string, manifest: Manifest): void {
  for (const entry of manifest.experiments.filter((r) => r.status === "completed")) {
    const result = resultOf(dir, entry.dir);
    assert.equal(result.experiment_id, entry.dir);
    assert.equal(result.measurement_config_hash, entry.measurement_config_hash);
    assert.equal(result.cycle, entry.cycle);
  }
}

Deno.test("a resume with another order or number of cycles is refused, and the study as started finishes it", async () => {
  await withStudy(
    twoByTwo("{ttft_s: 0.005, token_s: 0.005, fail: raise, fail_on_window: 2, fail_unless: cured}"),
    async (study) => {
      const { dir } = await runWithFailures(study);
      const before = Deno.readTextFileSync(join(dir!, "manifest.json"));
      assert.ok(manifestOf(dir!).experiments.some((r) => r.status === "failed"));

      const reordered = await run(["run", study.file, dir!, "--resume", "--order", "sequential"], study);
      assert.equal(reordered.code, 2, reordered.stderr + reordered.stdout);
      assert.match(reordered.stderr, /cannot be resumed with this plan: its runs were in another order/);
      const more = await run(["run", study.file, "--resume", "-o", "results", "--cycles", "5"], study);
      assert.equal(more.code, 2, more.stderr + more.stdout);
      assert.match(more.stderr, /started with 2 cycle\(s\) \(4 runs\); the plan now has 5 \(10 runs\)/);
      assert.equal(
        Deno.readTextFileSync(join(dir!, "manifest.json")),
        before,
        "the refused resumes changed nothing",
      );

      Deno.writeTextFileSync(join(study.dir, "cured"), "");
      const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
      assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
      const manifest = manifestOf(dir!);
      assert.equal(manifest.summary.completed, 4);
      assertEveryResultInItsFolder(dir!, manifest);
      // Each experiment's statistics are its own two cycles: 4 prompts × its max_new_tokens tokens.
      for (const [experiment, tokens] of [[1, 16], [2, 32]] as const) {
        const runs = manifest.experiments.filter((r) => r.experiment === experiment);
        assert.deepEqual(runs.map((r) => resultOf(dir!, r.dir).total_tokens), [tokens, tokens]);
        assert.equal(manifest.uncertainty[String(experiment)]!.total_energy_j!.n, 2);
      }
    },
  );
});

Deno.test("a failed run is retried by --resume, its traceback kept in failed-runs/", async () => {
  await withStudy(
    twoByTwo("{ttft_s: 0.005, token_s: 0.005, fail: raise, fail_on_window: 2, fail_unless: cured}"),
    async (study) => {
      const { first, dir } = await runWithFailures(study, ["--cycles", "3"]);
      const manifest = manifestOf(dir!);
      assert.equal(
        manifest.status,
        "completed",
        "a study whose runs all ended is completed, failures and all",
      );
      const failed = manifest.experiments.find((r) => r.status === "failed")!;
      assert.equal(failed.error?.type, "RuntimeError");
      assert.equal(failed.error?.message, "the test engine failed mid-window", "the type is not repeated");
      assert.match(failed.error?.log_tail ?? "", /Traceback \(most recent call last\)/);
      assert.match(Deno.readTextFileSync(join(dir!, failed.error!.log_file!)), /Traceback[^]*adapter\.py/);
      assert.doesNotMatch(first.stdout, /RuntimeError: RuntimeError/);

      Deno.writeTextFileSync(join(study.dir, "cured"), "");
      // Started with --cycles 3: a resume without it is refused, and the command llem printed has it.
      const plain = await run(["run", study.file, "-o", "results", "--resume"], study);
      assert.equal(plain.code, 2, plain.stderr + plain.stdout);
      const printed = first.stdout.match(/^resume: llem (run .*)$/m)?.[1];
      assert.ok(printed?.endsWith("--resume --cycles 3"), first.stdout);
      const retried = await run(printed!.split(" "), study);
      assert.equal(retried.code, 0, retried.stderr + retried.stdout);
      assert.equal(studyDirs(study).length, 1);
      const after = manifestOf(dir!);
      assert.equal(after.summary.completed, 6);
      assert.equal(after.experiments.find((r) => r.index === failed.index)!.attempts, 2);
    },
  );
});

const threeRuns = (model: string) => `
name: signals
${experimentYaml(model, "", "{ttft_s: 0.005, token_s: 0.05}")}
sweep:
  generation.max_new_tokens: [4, 6, 8]
`;

/** Start `llem run --json ...args` and kill it with SIGKILL at the first event `matches` accepts. */
async function killAt(
  study: Study,
  matches: (event: Record<string, unknown>) => boolean,
  args: string[] = [],
) {
  const child = llem(["run", study.file, "-o", "results", "--json", ...args], study);
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let killed = false;
  while (!killed) {
    const { value, done } = await lines.read();
    if (done) break;
    buffer += value;
    const complete = buffer.split("\n");
    buffer = complete.pop()!;
    killed = complete.some((line) => line.trim() && matches(JSON.parse(line)));
  }
  if (killed) child.kill("SIGKILL");
  await lines.cancel();
  await child.stderr.cancel();
  await child.status;
  return killed;
}

/** Processes whose command line mentions `text` (the study's own folder: its harness copy, its engine). */
function processesMentioning(text: string): number[] {
  // ps, not /proc: Deno reads /proc only under --allow-all, which the tests do not have.
  const listing = new Deno.Command("ps", { args: ["-eo", "pid=,args="], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(listing.stdout).split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((match): match is RegExpMatchArray => match !== null && match[2]!.includes(text))
    .map((match) => Number(match[1]))
    .filter((pid) => pid !== Deno.pid);
}

async function untilNoProcessMentions(text: string, seconds: number): Promise<number[]> {
  const deadline = Date.now() + seconds * 1000;
  let left = processesMentioning(text);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = processesMentioning(text);
  }
  return left;
}

Deno.test("kill -9 at every phase leaves no engine behind, and --resume finishes the study, each run once", async () => {
  // Each phase where it first happens: the baselines before any run, the session's start, load and warmup
  // in run 1, the second run's window and files.
  const phases: [string, number | null][] = [
    ["baseline", null],
    ["starting", 1],
    ["loading", 1],
    ["warmup", 1],
    ["measuring", 2],
    ["writing", 2],
  ];
  for (const [phase, runIndex] of phases) {
    await withStudy(threeRuns, async (study) => {
      const atPhase = (event: Record<string, unknown>) =>
        event.type === "phase" && event.phase === phase && event.run === runIndex;
      assert.ok(await killAt(study, atPhase), `${phase}: the phase was reached`);
      const left = await untilNoProcessMentions(study.dir, 15);
      assert.deepEqual(left, [], `${phase}: processes of the killed llem are still alive`);
      const [dir] = studyDirs(study);
      const before = manifestOf(dir!);
      const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
      assert.equal(resumed.code, 0, `${phase}: ${resumed.stderr}${resumed.stdout}`);
      const after = manifestOf(dir!);
      assert.equal(after.summary.completed, 3, phase);
      for (const entry of after.experiments) {
        const was = before.experiments.find((r) => r.index === entry.index)!;
        const expected = was.status === "completed" ? was.attempts : was.attempts + 1;
        assert.equal(entry.attempts, expected, `${phase}: run ${entry.index} was measured once more`);
      }
      assertEveryResultInItsFolder(dir!, after);
    });
  }
});

Deno.test("kill -9 while waiting for a busy GPU leaves nothing at all", async () => {
  await withStudy(threeRuns, async (study) => {
    const gpus = await run(["gpus", "--json"], study);
    const uuid = JSON.parse(gpus.stdout).gpus[0].uuid;
    Deno.mkdirSync(study.env.LLEM_LOCK_DIR!, { recursive: true });
    const lock = Deno.openSync(join(study.env.LLEM_LOCK_DIR!, `${uuid}.lock`), {
      read: true,
      write: true,
      create: true,
    });
    try {
      lock.lockSync(true);
      assert.ok(await killAt(study, (event) => event.type === "lock_wait"));
    } finally {
      lock.close();
    }
    assert.deepEqual(await untilNoProcessMentions(study.dir, 15), []);
    const results = join(study.dir, "results");
    const made = (() => {
      try {
        return [...Deno.readDirSync(results)].map((entry) => entry.name);
      } catch {
        return [];
      }
    })();
    assert.deepEqual(made, [], "no study directory before the locks are held");
  });
});

Deno.test("a second llem on a study another is running is refused at once; no run is measured twice", async () => {
  await withStudy(threeRuns, async (study) => {
    assert.ok(await killAt(study, (event) => event.type === "run_completed"));
    const [dir] = studyDirs(study);
    const before = manifestOf(dir!);
    // The first resume has taken the study (its study_started event is out) and is measuring.
    const first = llem(["run", study.file, dir!, "--resume", "--json"], study);
    const events = first.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('"study_started"')) {
      const { value, done } = await events.read();
      if (done) break;
      seen += value;
    }
    for (const args of [[dir!, "--resume"], ["-o", "results", "--resume"]]) {
      const second = await run(["run", study.file, ...args], study);
      assert.equal(second.code, 3, second.stderr + second.stdout);
      assert.match(second.stderr, new RegExp(`${dir} is being run by another llem \\(pid ${first.pid}`));
    }
    while (!(await events.read()).done) { /* drain */ }
    await first.stderr.cancel();
    assert.equal((await first.status).code, 0);
    const after = manifestOf(dir!);
    assert.equal(after.summary.completed, 3);
    for (const entry of after.experiments) {
      const was = before.experiments.find((r) => r.index === entry.index)!;
      assert.equal(entry.attempts, was.status === "completed" ? was.attempts : was.attempts + 1);
    }
  });
});

Deno.test("a manifest pid reused by an unrelated process does not block --resume: liveness is the lock", async () => {
  await withStudy(threeRuns, async (study) => {
    assert.ok(await killAt(study, (event) => event.type === "run_completed"));
    const [dir] = studyDirs(study);
    const sleeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
    try {
      const manifest = JSON.parse(Deno.readTextFileSync(join(dir!, "manifest.json")));
      manifest.pid = sleeper.pid;
      manifest.hostname = Deno.hostname();
      Deno.writeTextFileSync(join(dir!, "manifest.json"), JSON.stringify(manifest));
      const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
      assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
      assert.equal(manifestOf(dir!).summary.completed, 3);
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
  });
});

Deno.test("--no-wait on a busy GPU leaves nothing behind, and --resume then continues the study with results", async () => {
  await withStudy(threeRuns, async (study) => {
    assert.ok(await killAt(study, (event) => event.type === "run_completed"));
    const [dir] = studyDirs(study);
    const gpus = await run(["gpus", "--json"], study);
    const uuid = JSON.parse(gpus.stdout).gpus[0].uuid;
    const lock = Deno.openSync(join(study.env.LLEM_LOCK_DIR!, `${uuid}.lock`), { read: true, write: true });
    try {
      lock.lockSync(true);
      const busy = await run(["run", study.file, "-o", "results", "--no-wait"], study);
      assert.equal(busy.code, 3, busy.stderr + busy.stdout);
      const busyResume = await run(["run", study.file, "-o", "results", "--resume", "--no-wait"], study);
      assert.equal(busyResume.code, 3, busyResume.stderr + busyResume.stdout);
    } finally {
      lock.close();
    }
    assert.deepEqual(studyDirs(study), [dir], "no new study directory");
    const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, new RegExp(`results: ${dir}`));
    assert.match(
      resumed.stdout,
      /picked: the newest unfinished study with completed runs \(1 of 3 runs completed\)/,
    );
    assert.equal(manifestOf(dir!).summary.completed, 3);
  });
});

Deno.test("a resume runs again the completed runs whose result.json or Parquet files are damaged, saying so", async () => {
  await withStudy(threeRuns, async (study) => {
    const first = await run(["run", study.file, "-o", "results"], study);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const [dir] = studyDirs(study);
    const [one, two] = manifestOf(dir!).experiments;
    Deno.writeTextFileSync(join(dir!, one!.dir, "result.json"), '{"garbage": true}');
    const timeseries = join(dir!, two!.dir, "timeseries.parquet");
    Deno.truncateSync(timeseries, Math.floor(Deno.statSync(timeseries).size / 2));
    const resumed = await run(["run", study.file, dir!, "--resume"], study);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    const said = resumed.stdout + resumed.stderr;
    assert.match(said, /result\.json is not a valid result[^]*runs again/);
    assert.match(said, /timeseries\.parquet is not a complete Parquet file[^]*runs again/);
    const after = manifestOf(dir!);
    assert.deepEqual(after.experiments.map((r) => [r.status, r.attempts]), [
      ["completed", 2],
      ["completed", 2],
      ["completed", 1],
    ]);
    assertEveryResultInItsFolder(dir!, after);
  });
});

Deno.test("execution.wall_clock_timeout_hours: the runs due after it are skipped with the reason, exit 4", async () => {
  const yaml = (model: string) =>
    threeRuns(model).replace("baseline: {enabled: true", "baseline: {enabled: false").replace(
      "measurement:",
      "execution: {wall_clock_timeout_hours: 0.0005, experiment_gap_seconds: 2}\nmeasurement:",
    );
  await withStudy(yaml, async (study) => {
    const result = await run(["run", study.file, "-o", "results"], study);
    assert.equal(result.code, 4, result.stderr + result.stdout);
    const [dir] = studyDirs(study);
    const manifest = manifestOf(dir!);
    assert.equal(manifest.status, "stopped");
    // 0.0005 h is 1.8 s: the third run (after two 2 s gaps at least) is always past it.
    assert.equal(manifest.experiments[0]!.status, "completed");
    assert.equal(manifest.experiments[2]!.status, "skipped");
    assert.equal(manifest.experiments[2]!.error?.type, "WallClockTimeout");
    assert.match(result.stdout + result.stderr, /wall_clock_timeout_hours/);
  });
});
