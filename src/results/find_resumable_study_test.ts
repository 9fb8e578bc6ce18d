import assert from "node:assert/strict";
import { findResumableStudy } from "./find_resumable_study.ts";
import type { StudyStatus } from "./manifest_schema.ts";
import { ManifestStore } from "./manifest_store.ts";
import { studyDirName } from "./study_layout.ts";
import { lockStudy } from "./study_lock.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";

const RUN = {
  index: 1,
  cycle: 0,
  experiment: 1,
  measurement_config_hash: "0123456789abcdef",
  engine: "vllm",
  model: "m",
};

/** A study named `name` started at `start`, left in `status` by llem `pid` on `hostname`. */
function makeStudy(
  outputDir: string,
  study: { name: string; start: string; status: StudyStatus; pid?: number; hostname?: string },
): string {
  const dir = `${outputDir}/${studyDirName(study.name, new Date(study.start))}`;
  const store = ManifestStore.create(dir, {
    studyName: study.name,
    studyDesignHash: null,
    configFile: null,
    llemVersion: null,
    runs: [RUN],
  }, { now: () => new Date(study.start), pid: study.pid ?? 4242, hostname: study.hostname ?? "node1" });
  if (study.status !== "running") store.markStudy(study.status);
  return dir;
}

const dead = { hostname: "node1", isLocked: () => false };

Deno.test(
  "findResumableStudy() is null for a missing folder, an empty one, and one whose studies all completed",
  inTempDir((dir) => {
    assert.equal(findResumableStudy(`${dir}/absent`, dead), null);
    assert.equal(findResumableStudy(dir, dead), null);
    const done = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "completed" });
    const store = ManifestStore.load(done);
    store.markRunning(1);
    store.markCompleted(1, { totalEnergyJoules: 1 });
    Deno.mkdirSync(`${dir}/notes`);
    Deno.mkdirSync(`${dir}/b_2026-05-09T10-00-00`); // created, killed before its manifest was written
    assert.equal(findResumableStudy(dir, dead), null);
  }),
);

Deno.test(
  "findResumableStudy() picks the newest unfinished study, optionally of one name",
  inTempDir((dir) => {
    makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "interrupted" });
    const newestA = makeStudy(dir, { name: "a", start: "2026-05-08T10:00:00Z", status: "stopped" });
    const b = makeStudy(dir, { name: "b/x", start: "2026-05-08T11:00:00Z", status: "failed" });
    const any = findResumableStudy(dir, dead);
    assert.deepEqual([any?.kind, any?.dir, any?.others], ["resumable", b, 2]);
    const onlyA = findResumableStudy(dir, { ...dead, studyName: "a" });
    assert.deepEqual([onlyA?.kind, onlyA?.dir, onlyA?.manifest.status], ["resumable", newestA, "stopped"]);
    assert.equal(findResumableStudy(dir, { ...dead, studyName: "c" }), null);
  }),
);

Deno.test(
  "findResumableStudy() picks a study with completed runs over a newer one that completed nothing",
  inTempDir((dir) => {
    // An interrupted study with results, then a new attempt that stopped before its first run.
    const worked = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "interrupted" });
    const store = ManifestStore.load(worked);
    store.markRunning(1);
    store.markCompleted(1, { totalEnergyJoules: 1 });
    store.markStudy("interrupted");
    makeStudy(dir, { name: "a", start: "2026-05-08T10:00:00Z", status: "failed" });
    const found = findResumableStudy(dir, { ...dead, studyName: "a" });
    assert.deepEqual([found?.kind, found?.dir, found?.others], ["resumable", worked, 1]);
  }),
);

Deno.test(
  "findResumableStudy() offers a completed study whose failed runs can be retried",
  inTempDir((dir) => {
    const study = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "running" });
    const store = ManifestStore.load(study);
    store.markRunning(1);
    store.markFailed(1, { type: "EngineCrashed", message: "boom", log_tail: null, log_file: null });
    store.markStudy("completed");
    assert.equal(findResumableStudy(dir, dead)?.dir, study);
  }),
);

Deno.test(
  "findResumableStudy() tells a study another llem is running (its lock held) from one whose llem died",
  inTempDir((dir) => {
    const study = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "running", pid: 99 });
    const asked: string[] = [];
    const live = findResumableStudy(dir, { hostname: "node1", isLocked: (d) => asked.push(d) > 0 });
    assert.deepEqual(asked, [study]);
    assert.deepEqual([live?.kind, live?.dir], ["live", study]);
    assert.equal(findResumableStudy(dir, dead)?.kind, "resumable");
    const elsewhere = findResumableStudy(dir, { hostname: "node2", isLocked: () => false });
    assert.deepEqual([elsewhere?.kind, elsewhere?.kind === "elsewhere" && elsewhere.hostname], [
      "elsewhere",
      "node1",
    ]);
  }),
);

Deno.test(
  "findResumableStudy() asks the real lock: held is live, free is resumable even when the manifest's pid is alive",
  inTempDir(async (dir) => {
    const hostname = Deno.hostname();
    // The manifest names a live process (this one, as an unrelated process reusing a dead llem's pid
    // would be), but nobody holds the lock: the study is resumable.
    const study = makeStudy(dir, {
      name: "me",
      start: "2026-05-07T10:00:00Z",
      status: "running",
      pid: Deno.pid,
      hostname,
    });
    assert.equal(findResumableStudy(dir, { studyName: "me" })?.kind, "resumable");
    const lock = await lockStudy(study);
    try {
      assert.equal(findResumableStudy(dir, { studyName: "me" })?.kind, "live");
    } finally {
      lock.release();
    }
    assert.equal(findResumableStudy(dir, { studyName: "me" })?.kind, "resumable");
  }),
);

Deno.test(
  "findResumableStudy() reports an invalid manifest, naming it",
  inTempDir((dir) => {
    const study = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "failed" });
    Deno.writeTextFileSync(`${study}/manifest.json`, "{}");
    assert.throws(
      () => findResumableStudy(dir, dead),
      /Manifest ".*a_2026-05-07T10-00-00\/manifest\.json" is not a valid/,
    );
  }),
);
