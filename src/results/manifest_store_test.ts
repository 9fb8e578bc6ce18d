import assert from "node:assert/strict";
import { manifestSchema } from "./manifest_schema.ts";
import {
  type ManifestRunPlan,
  ManifestStore,
  ManifestUnreadable,
  moveRunAside,
  readManifest,
} from "./manifest_store.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { writeWholeRun } from "../../tests/whole_run_files.ts";

const HASH_A = "0123456789abcdef";
const HASH_B = "fedcba9876543210";

/** Two experiments over two cycles, sequential order. */
const RUNS: ManifestRunPlan[] = [
  {
    index: 1,
    cycle: 0,
    experiment: 1,
    measurement_config_hash: HASH_A,
    engine: "vllm",
    model: "Qwen/Qwen2.5-0.5B",
  },
  {
    index: 2,
    cycle: 1,
    experiment: 1,
    measurement_config_hash: HASH_A,
    engine: "vllm",
    model: "Qwen/Qwen2.5-0.5B",
  },
  {
    index: 3,
    cycle: 0,
    experiment: 2,
    measurement_config_hash: HASH_B,
    engine: "transformers",
    model: "gpt2",
  },
  {
    index: 4,
    cycle: 1,
    experiment: 2,
    measurement_config_hash: HASH_B,
    engine: "transformers",
    model: "gpt2",
  },
];

/** A clock the test moves by hand. */
class ManualClock {
  ms = Date.parse("2026-05-07T14:32:08.000Z");
  now = () => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

function createStore(dir: string, now = new ManualClock().now): ManifestStore {
  return ManifestStore.create(`${dir}/study`, {
    studyName: "demo",
    studyDesignHash: "00112233aabbccdd",
    configFile: "study.yaml",
    llemVersion: "0.1.0",
    runs: RUNS,
  }, { now, pid: 4242, hostname: "node1" });
}

const failure = {
  type: "TimeoutError",
  message: "no token for 300 s",
  log_tail: "CUDA out of memory",
  log_file: null,
};

Deno.test(
  "ManifestStore.create() writes a valid manifest with every run pending and named after the seed",
  inTempDir((dir) => {
    createStore(dir);
    const manifest = readManifest(`${dir}/study`);
    assert.equal(manifest.status, "running");
    assert.equal(manifest.start_time, "2026-05-07T14:32:08.000Z");
    assert.equal(manifest.end_time, null);
    assert.deepEqual([manifest.pid, manifest.hostname, manifest.manifest_version], [4242, "node1", 1]);
    assert.deepEqual(manifest.experiments.map((run) => run.dir), [
      "001_c0_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef",
      "002_c1_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef",
      "003_c0_gpt2-transformers_fedcba9876543210",
      "004_c1_gpt2-transformers_fedcba9876543210",
    ]);
    assert.ok(manifest.experiments.every((run) => run.status === "pending" && run.attempts === 0));
    assert.deepEqual(
      { ...manifest.summary, total_wall_time_s: 0 },
      {
        total_experiments: 4,
        completed: 0,
        failed: 0,
        skipped: 0,
        pending: 4,
        total_wall_time_s: 0,
        total_energy_j: 0,
        unique_configurations: 2,
        warnings: [],
      },
    );
    if (Deno.build.os !== "windows") {
      assert.equal(Deno.statSync(`${dir}/study/manifest.json`).mode! & 0o777, 0o644);
    }
  }),
);

Deno.test(
  "every change rewrites a valid manifest and recomputes the summary",
  inTempDir((dir) => {
    const clock = new ManualClock();
    const store = createStore(dir, clock.now);
    const onDisk = () => readManifest(`${dir}/study`);
    clock.advance(10);
    store.markRunning(1);
    assert.equal(onDisk().experiments[0]!.status, "running");
    assert.equal(onDisk().experiments[0]!.attempts, 1);
    assert.equal(onDisk().summary.total_wall_time_s, 10);
    clock.advance(20);
    store.markCompleted(1, { totalEnergyJoules: 1200.5 });
    store.markRunning(3);
    store.markFailed(3, failure);
    store.markRunning(2);
    store.markCompleted(2, { totalEnergyJoules: 1199.5 });
    store.markSkipped(4, {
      type: "CircuitBreakerOpen",
      message: "3 failures in a row",
      log_tail: null,
      log_file: null,
    });
    store.addWarning("GPU 0 throttled");
    store.addWarning("GPU 0 throttled");
    clock.advance(70);
    store.markStudy("stopped");
    const manifest = onDisk();
    assert.deepEqual(manifest, store.manifest);
    assert.deepEqual(manifest.experiments.map((run) => run.status), [
      "completed",
      "completed",
      "failed",
      "skipped",
    ]);
    assert.deepEqual(manifest.experiments[2]!.error, failure);
    assert.deepEqual(manifest.summary, {
      total_experiments: 4,
      completed: 2,
      failed: 1,
      skipped: 1,
      pending: 0,
      total_wall_time_s: 100,
      total_energy_j: 2400,
      unique_configurations: 2,
      warnings: ["GPU 0 throttled"],
    });
    assert.deepEqual([manifest.status, manifest.end_time], ["stopped", "2026-05-07T14:33:48.000Z"]);
    assert.deepEqual(
      [manifest.experiments[0]!.started_at, manifest.experiments[0]!.finished_at],
      ["2026-05-07T14:32:18.000Z", "2026-05-07T14:32:38.000Z"],
    );
    assert.deepEqual([...store.completedKeys()].sort(), [`${HASH_A}:0`, `${HASH_A}:1`]);
  }),
);

Deno.test(
  "a new attempt clears the previous attempt's error and counts attempts",
  inTempDir((dir) => {
    const store = createStore(dir);
    store.markRunning(1);
    store.markFailed(1, failure);
    store.markRunning(1);
    const run = store.run(1);
    assert.deepEqual([run.status, run.error, run.attempts, run.finished_at], ["running", null, 2, null]);
  }),
);

Deno.test(
  "ManifestStore refuses a run index the plan does not have",
  inTempDir((dir) => {
    const store = createStore(dir);
    assert.throws(() => store.markRunning(5), /No run 5 in ".*manifest\.json": it has 4 run\(s\)/);
  }),
);

Deno.test(
  "readManifest() names the file for unreadable JSON, and the file and field for an invalid manifest",
  inTempDir((dir) => {
    assert.throws(() => readManifest(dir), (error: Error) => {
      assert.ok(error instanceof ManifestUnreadable);
      assert.match(error.message, /^".*" has no manifest\.json: it is not an llem study/);
      return true;
    });
    Deno.writeTextFileSync(`${dir}/manifest.json`, '{"study_name": "x", ');
    assert.throws(
      () => readManifest(dir),
      /^ManifestUnreadable: Manifest ".*manifest\.json" is not valid JSON/,
    );
    createStore(dir);
    const manifest = readManifest(`${dir}/study`);
    const bad = structuredClone(manifest) as Record<string, unknown> & typeof manifest;
    bad.experiments[1]!.status = "done" as never;
    bad.experiments[2]!.dir = "../../etc";
    Deno.writeTextFileSync(`${dir}/study/manifest.json`, JSON.stringify(bad));
    assert.throws(() => readManifest(`${dir}/study`), (error: Error) => {
      assert.match(error.message, /^Manifest ".*study\/manifest\.json" is not a valid llem manifest:/);
      assert.match(error.message, /experiments\[1\]\.status/);
      assert.match(error.message, /experiments\[2\]\.dir/);
      return true;
    });
    Deno.writeTextFileSync(
      `${dir}/study/manifest.json`,
      JSON.stringify({ ...manifest, manifest_version: 2 }),
    );
    assert.throws(() => readManifest(`${dir}/study`), /written by a newer llem/);
  }),
);

Deno.test(
  "prepareResume() makes every unfinished run pending again and moves its partial directory aside",
  inTempDir(async (dir) => {
    const study = `${dir}/study`;
    const store = createStore(dir);
    const [d1, d2, d3, d4] = store.manifest.experiments.map((run) => run.dir);
    store.markRunning(1);
    await writeWholeRun(study, store.run(1));
    store.markCompleted(1, { totalEnergyJoules: 10 });
    store.markRunning(2);
    Deno.mkdirSync(`${study}/${d2}`);
    Deno.writeTextFileSync(`${study}/${d2}/timeseries.parquet`, "partial");
    store.markCompleted(3, { totalEnergyJoules: 20 }); // marked completed, but its result.json is gone
    store.markRunning(4);
    Deno.mkdirSync(`${study}/${d4}`);
    Deno.writeTextFileSync(`${study}/${d4}/engine.log`, "Traceback");
    store.markFailed(4, { ...failure, log_file: `${d4}/engine.log` });
    // llem is killed here: run 2 stays "running" in the manifest.

    const resumed = ManifestStore.load(study, {
      now: () => new Date("2026-05-08T09:00:00.000Z"),
      pid: 777,
      hostname: "node2",
    });
    const preparation = resumed.prepareResume();
    assert.deepEqual(preparation.reset, [2, 3, 4]);
    assert.deepEqual(preparation.movedAside, [
      `failed-runs/${d2}-2026-05-08T09-00-00`,
      `failed-runs/${d4}-2026-05-08T09-00-00`,
    ]);
    assert.equal(
      Deno.readTextFileSync(`${study}/failed-runs/${d2}-2026-05-08T09-00-00/timeseries.parquet`),
      "partial",
    );
    assert.throws(() => Deno.statSync(`${study}/${d2}`), Deno.errors.NotFound);
    assert.ok(Deno.statSync(`${study}/${d1}/result.json`).isFile);

    const manifest = readManifest(study);
    assert.deepEqual(manifest.experiments.map((run) => run.status), [
      "completed",
      "pending",
      "pending",
      "pending",
    ]);
    const movedLog = `failed-runs/${d4}-2026-05-08T09-00-00/engine.log`;
    assert.deepEqual(
      manifest.experiments[3]!.error,
      { ...failure, log_file: movedLog },
      "the last failure stays",
    );
    assert.equal(Deno.readTextFileSync(`${study}/${movedLog}`), "Traceback");
    assert.equal(manifest.experiments[3]!.attempts, 1);
    assert.deepEqual([manifest.status, manifest.end_time, manifest.pid, manifest.hostname], [
      "running",
      null,
      777,
      "node2",
    ]);
    assert.deepEqual(manifest.resumes, ["2026-05-08T09:00:00.000Z"]);
    assert.deepEqual(manifest.summary.warnings, [
      `run ${d3} was completed, but it has no result.json: it runs again (its files are kept in failed-runs/)`,
    ]);
    assert.deepEqual(
      [manifest.summary.completed, manifest.summary.pending, manifest.summary.total_energy_j],
      [
        1,
        3,
        10,
      ],
    );
    assert.deepEqual([...resumed.completedKeys()], [`${HASH_A}:0`]);
  }),
);

Deno.test(
  "prepareResume() runs again a completed run whose result.json or Parquet file is damaged, saying why",
  inTempDir(async (dir) => {
    const study = `${dir}/study`;
    const store = createStore(dir);
    const damage: [string, (runDir: string) => void][] = [
      ["whole", () => {}],
      ["garbage result.json", (d) => Deno.writeTextFileSync(`${d}/result.json`, "not json at all")],
      ["truncated requests.parquet", (d) => {
        const bytes = Deno.readFileSync(`${d}/requests.parquet`);
        Deno.writeFileSync(`${d}/requests.parquet`, bytes.subarray(0, bytes.length - 100));
      }],
      ["another run's result.json", (d) => {
        const other = store.run(1).dir;
        Deno.copyFileSync(`${study}/${other}/result.json`, `${d}/result.json`);
      }],
    ];
    for (const [i, [, harm]] of damage.entries()) {
      store.markRunning(i + 1);
      harm(await writeWholeRun(study, store.run(i + 1)));
      store.markCompleted(i + 1, { totalEnergyJoules: 10 });
    }
    const preparation = ManifestStore.load(study).prepareResume();
    assert.deepEqual(preparation.reset, [2, 3, 4]);
    assert.match(preparation.broken[0]!.problem, /result\.json is not valid JSON/);
    assert.match(preparation.broken[1]!.problem, /requests\.parquet is not a complete Parquet file/);
    assert.match(preparation.broken[2]!.problem, /result\.json is of 001_c0_.*, not of this run/);
    const manifest = readManifest(study);
    assert.deepEqual(manifest.experiments.map((run) => run.status), [
      "completed",
      "pending",
      "pending",
      "pending",
    ]);
    assert.equal(manifest.summary.warnings.length, 3);
    assert.equal(preparation.movedAside.length, 3, "the damaged files are kept for inspection");
  }),
);

Deno.test(
  "moveRunAside() returns null for a run with no directory and never overwrites an earlier attempt",
  inTempDir((dir) => {
    const now = new Date("2026-05-08T09:00:00Z");
    assert.equal(moveRunAside(dir, "001_c0_x", now), null);
    for (const attempt of ["first", "second", "third"]) {
      Deno.mkdirSync(`${dir}/001_c0_x`);
      Deno.writeTextFileSync(`${dir}/001_c0_x/log`, attempt);
      moveRunAside(dir, "001_c0_x", now);
    }
    const base = `${dir}/failed-runs/001_c0_x-2026-05-08T09-00-00`;
    assert.deepEqual(
      [base, `${base}-2`, `${base}-3`].map((path) => Deno.readTextFileSync(`${path}/log`)),
      ["first", "second", "third"],
    );
    assert.throws(() => moveRunAside(dir, "../elsewhere", now), /resolves outside the output directory/);
  }),
);

Deno.test(
  "manifestSchema rejects two runs with one index, and accepts the uncertainty slot",
  inTempDir((dir) => {
    const manifest = createStore(dir).manifest;
    manifest.uncertainty = {
      [HASH_A]: { mj_per_tok_adjusted: { n: 2, mean: 2, std: 0.1, ci95_low: 1.1, ci95_high: 2.9 } },
      [HASH_B]: { mj_per_tok_adjusted: { n: 1, mean: 2, std: null, ci95_low: null, ci95_high: null } },
    };
    assert.equal(manifestSchema.safeParse(manifest).success, true);
    manifest.experiments[1]!.index = 1;
    const result = manifestSchema.safeParse(manifest);
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues.map((issue) => [issue.path, issue.message]), [
      [["experiments", 1, "index"], "run index 1 repeats"],
    ]);
  }),
);

/** A study of `runs` runs (one experiment each), for the journal's tests. */
function bigStore(dir: string, runs: number, clock = new ManualClock()): ManifestStore {
  return ManifestStore.create(`${dir}/study`, {
    studyName: "big",
    studyDesignHash: HASH_A,
    configFile: null,
    llemVersion: "test",
    runs: Array.from({ length: runs }, (_, i) => ({
      index: i + 1,
      cycle: 0,
      experiment: i + 1,
      measurement_config_hash: (i + 1).toString(16).padStart(16, "0"),
      engine: "vllm",
      model: "m",
    })),
  }, { now: clock.now });
}

Deno.test(
  "a run's change is a synced journal line, applied by every reader; manifest.json is rewritten in bounds",
  inTempDir((dir) => {
    const clock = new ManualClock();
    const store = bigStore(dir, 200, clock);
    const whole = () => JSON.parse(Deno.readTextFileSync(store.path));
    clock.advance(5);
    store.markRunning(1);
    store.markCompleted(1, { totalEnergyJoules: 10 });
    // manifest.json as it was; the journal holds the changes; readManifest() sees them.
    assert.equal(whole().experiments[0].status, "pending");
    assert.equal(Deno.readTextFileSync(store.journalPath).trim().split("\n").length, 2);
    const read = readManifest(`${dir}/study`);
    assert.deepEqual(read.experiments[0], store.manifest.experiments[0]);
    assert.equal(read.summary.completed, 1);
    assert.equal(read.summary.total_energy_j, 10);
    assert.equal(read.summary.total_wall_time_s, 5);
    // A quarter of the runs' changes (50) rewrites manifest.json whole and removes the journal.
    for (let index = 2; index <= 25; index++) {
      store.markRunning(index);
      store.markCompleted(index, { totalEnergyJoules: 1 });
    }
    assert.equal(whole().summary.completed, 25);
    assert.ok(!isFile(store.journalPath));
    store.markStudy("completed");
    assert.deepEqual(readManifest(`${dir}/study`), store.manifest);
  }),
);

Deno.test(
  "a journal line cut short by a kill is ignored, and lines manifest.json already holds are skipped",
  inTempDir((dir) => {
    const store = bigStore(dir, 200);
    store.markRunning(1);
    store.markCompleted(1, { totalEnergyJoules: 10 });
    Deno.writeTextFileSync(store.journalPath, '{"seq": 3, "run": {"index": 2, "sta', { append: true });
    const read = readManifest(`${dir}/study`);
    assert.equal(read.experiments[0]!.status, "completed");
    assert.equal(read.experiments[1]!.status, "pending");
    // Taken over (a resume), the study goes on from the journal and rewrites manifest.json whole.
    const resumed = ManifestStore.load(`${dir}/study`);
    assert.equal(resumed.manifest.experiments[0]!.status, "completed");
    resumed.prepareResume();
    const whole = JSON.parse(Deno.readTextFileSync(resumed.path));
    // The journaled attempt is in it (the run itself runs again: it has no result files here).
    assert.equal(whole.experiments[0].attempts, 1);
    assert.equal(whole.journal_seq, 2);
    // A kill between that rewrite and the journal's removal would leave old lines: skipped by number.
    Deno.writeTextFileSync(
      resumed.journalPath,
      JSON.stringify({ seq: 1, run: { ...whole.experiments[0], status: "running" }, wall_time_s: 0 }) + "\n",
    );
    assert.equal(readManifest(`${dir}/study`).experiments[0]!.status, whole.experiments[0].status);
  }),
);

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
