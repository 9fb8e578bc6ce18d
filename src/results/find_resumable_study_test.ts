import assert from "node:assert/strict";
import { findResumableStudy } from "./find_resumable_study.ts";
import type { StudyStatus } from "./manifest_schema.ts";
import { ManifestStore } from "./manifest_store.ts";
import { studyDirName } from "./study_layout.ts";
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

const dead = { hostname: "node1", isProcessAlive: () => false };

Deno.test(
  "findResumableStudy() is null for a missing folder, an empty one, and one whose studies all completed",
  inTempDir((dir) => {
    assert.equal(findResumableStudy(`${dir}/absent`, dead), null);
    assert.equal(findResumableStudy(dir, dead), null);
    makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "completed" });
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
    makeStudy(dir, { name: "a", start: "2026-05-09T10:00:00Z", status: "completed" });
    const b = makeStudy(dir, { name: "b/x", start: "2026-05-08T11:00:00Z", status: "failed" });
    const any = findResumableStudy(dir, dead);
    assert.deepEqual([any?.kind, any?.dir], ["resumable", b]);
    const onlyA = findResumableStudy(dir, { ...dead, studyName: "a" });
    assert.deepEqual([onlyA?.kind, onlyA?.dir, onlyA?.manifest.status], ["resumable", newestA, "stopped"]);
    assert.equal(findResumableStudy(dir, { ...dead, studyName: "c" }), null);
  }),
);

Deno.test(
  "findResumableStudy() tells a study another llem is running from one whose llem died",
  inTempDir((dir) => {
    const study = makeStudy(dir, { name: "a", start: "2026-05-07T10:00:00Z", status: "running", pid: 99 });
    const checked: number[] = [];
    const live = findResumableStudy(dir, {
      hostname: "node1",
      isProcessAlive: (pid) => checked.push(pid) > 0,
    });
    assert.deepEqual(checked, [99]);
    assert.deepEqual([live?.kind, live?.dir, live?.kind === "live" && live.pid], ["live", study, 99]);
    assert.equal(findResumableStudy(dir, dead)?.kind, "resumable");
    const elsewhere = findResumableStudy(dir, { hostname: "node2", isProcessAlive: () => false });
    assert.deepEqual([elsewhere?.kind, elsewhere?.kind === "elsewhere" && elsewhere.hostname], [
      "elsewhere",
      "node1",
    ]);
  }),
);

Deno.test(
  "findResumableStudy() checks real processes: this one is alive, an exited child is not",
  inTempDir(async (dir) => {
    const hostname = Deno.hostname();
    makeStudy(dir, { name: "me", start: "2026-05-07T10:00:00Z", status: "running", pid: Deno.pid, hostname });
    assert.equal(findResumableStudy(dir, { studyName: "me" })?.kind, "live");
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""], stdout: "null", stderr: "null" })
      .spawn();
    await child.status;
    makeStudy(dir, {
      name: "gone",
      start: "2026-05-07T10:00:00Z",
      status: "running",
      pid: child.pid,
      hostname,
    });
    assert.equal(findResumableStudy(dir, { studyName: "gone" })?.kind, "resumable");
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
