/**
 * The manifest's cost per run as a study grows: a study of 20, 1,000 and 10,000 runs, each run marked
 * running then completed (two changes, as llem makes them). With the journal, timed over the study's
 * second half (manifest.json's rewrites come every quarter of the runs: the average covers them); rewritten
 * on every change (before), over 100 runs near the end (every change costs alike there).
 * Part of `deno task bench`.
 *   deno run -A scripts/bench_manifest.ts
 */
import { join } from "node:path";
import { ManifestStore } from "../src/results/manifest_store.ts";

const SIZES = [20, 1_000, 10_000];
const TIMED = 100;

function plan(runs: number) {
  return Array.from({ length: runs }, (_, i) => ({
    index: i + 1,
    cycle: 0,
    experiment: i + 1,
    measurement_config_hash: (i + 1).toString(16).padStart(16, "0"),
    engine: "transformers",
    model: "org/model",
  }));
}

/** Milliseconds per run (markRunning + markCompleted) over the last `timed` runs of a study of `runs`. */
function perRun(runs: number, rewrite: "bounded" | "every_change", timed: number): number {
  const dir = Deno.makeTempDirSync({ prefix: "llem-bench-manifest-" });
  try {
    const store = ManifestStore.create(join(dir, "study"), {
      studyName: "bench",
      studyDesignHash: "0".repeat(16),
      configFile: null,
      llemVersion: "bench",
      runs: plan(runs),
    }, { rewrite });
    // The runs before the timed ones change the manifest too, but cheaply enough to be skipped here: the
    // cost depends on the manifest's size, which holds every run from the start.
    const started = performance.now();
    for (let index = runs - timed + 1; index <= runs; index++) {
      store.markRunning(index);
      store.markCompleted(index, { totalEnergyJoules: 1 });
    }
    return (performance.now() - started) / timed;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const rows = SIZES.map((runs) => ({
  runs,
  ms: perRun(runs, "bounded", Math.max(Math.min(20, runs), Math.floor(runs / 2))),
  old: perRun(runs, "every_change", Math.min(TIMED, runs)),
}));
const first = rows[0]!.ms;
console.log(
  "\nThe manifest's cost per run (running, then completed): the journal averaged over the study's second half",
);
console.log(
  "| runs   | journal  | vs 20 runs (flat within 20%) | rewritten on every change (before) | ratio |",
);
console.log(
  "| ------ | -------- | ---------------------------- | ---------------------------------- | ----- |",
);
for (const { runs, ms, old } of rows) {
  console.log(
    `| ${String(runs).padEnd(6)} | ${ms.toFixed(2).padStart(5)} ms | ${
      (ms / first).toFixed(2).padEnd(28)
    } | ` +
      `${old.toFixed(2).padStart(8)} ms${" ".repeat(23)} | ${(ms / old).toFixed(2)}  |`,
  );
}
