import assert from "node:assert/strict";
import { join } from "node:path";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { memoryFiles } from "../../tests/memory_files.ts";
import { planStudy } from "../config/plan_study.ts";
import { ManifestStore } from "../results/manifest_store.ts";
import { renderResumeHint } from "./render_resume_hint.ts";

/** A study of two runs with a store over its manifest. */
function twoRuns(dir: string): ManifestStore {
  const plan = planStudy(
    "study.yaml",
    memoryFiles({ "study.yaml": "name: s\nmodel: org/m\nexecution: {n_cycles: 2}\n" }),
  );
  return ManifestStore.create(join(dir, "s"), {
    studyName: "s",
    studyDesignHash: plan.study_design_hash,
    configFile: null,
    llemVersion: null,
    runs: plan.runs,
  });
}

const where = { configPath: "/home/me/my study.yaml", studyDir: "/r/s_2026-11-22T10-00-00" };
const expected = "resume: llem run '/home/me/my study.yaml' /r/s_2026-11-22T10-00-00 --resume";

Deno.test(
  "renderResumeHint() gives the resume command for a study interrupted, or stopped with a run pending",
  inTempDir((dir) => {
    const store = twoRuns(dir);
    store.markCompleted(1, { totalEnergyJoules: 10 });
    for (const status of ["interrupted", "stopped", "failed"] as const) {
      store.markStudy(status);
      assert.equal(renderResumeHint(store.manifest, where), expected, status);
    }
  }),
);

Deno.test(
  "renderResumeHint() gives it for a completed study with a failed run, and nothing when every run completed",
  inTempDir((dir) => {
    const store = twoRuns(dir);
    store.markCompleted(1, { totalEnergyJoules: 10 });
    store.markFailed(2, { type: "EngineKilled", message: "137", log_tail: null, log_file: null });
    store.markStudy("completed");
    assert.equal(renderResumeHint(store.manifest, where), expected);
    const done = twoRuns(join(dir, "done"));
    done.markCompleted(1, { totalEnergyJoules: 10 });
    done.markCompleted(2, { totalEnergyJoules: 10 });
    done.markStudy("completed");
    assert.equal(renderResumeHint(done.manifest, where), null);
  }),
);

Deno.test(
  "renderResumeHint() repeats the flags that shaped the plan, since a resume must give the same",
  inTempDir((dir) => {
    const store = twoRuns(dir);
    store.markStudy("interrupted");
    const planFlags: [string, string][] = [["--cycles", "2"], ["--gpus", "0,1"], ["--runner", "process"]];
    assert.equal(
      renderResumeHint(store.manifest, { ...where, planFlags }),
      `${expected} --cycles 2 --gpus 0,1 --runner process`,
    );
  }),
);
