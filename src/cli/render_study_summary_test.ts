import assert from "node:assert/strict";
import { join } from "node:path";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { memoryFiles } from "../../tests/memory_files.ts";
import { planStudy } from "../config/plan_study.ts";
import { uncertaintyKey } from "../results/manifest_schema.ts";
import { ManifestStore } from "../results/manifest_store.ts";
import { renderStudySummary } from "./render_study_summary.ts";

const stats = (mean: number, half: number, n = 2) => ({
  n,
  mean,
  std: half,
  ci95_low: mean - half,
  ci95_high: mean + half,
});

Deno.test(
  "renderStudySummary() gives each experiment its values, runs and means ±95% CI, in plan order",
  inTempDir((dir) => {
    const plan = planStudy(
      "study.yaml",
      memoryFiles({
        "study.yaml": `
name: s
model: org/m
execution: {n_cycles: 2}
sweep:
  generation.batch_size: [1, 8]
`,
      }),
    );
    const store = ManifestStore.create(join(dir, "s"), {
      studyName: "s",
      studyDesignHash: plan.study_design_hash,
      configFile: null,
      llemVersion: null,
      runs: plan.runs,
    });
    const [first, second] = plan.experiments;
    for (const run of plan.runs) {
      if (run.experiment === second!.id && run.cycle === 1) {
        store.markFailed(run.index, { type: "EngineKilled", message: "137", log_tail: null, log_file: null });
      } else store.markCompleted(run.index, { totalEnergyJoules: 100 });
    }
    store.setUncertainty({
      [uncertaintyKey(first!.id)]: {
        total_energy_j: stats(100, 2.5),
        mj_per_tok_total: stats(12.3456, 0.5),
        mj_per_tok_adjusted: stats(8, 0.25),
        avg_tokens_per_second: stats(40, 1),
      },
      [uncertaintyKey(second!.id)]: {
        total_energy_j: stats(100, 0, 1),
        mj_per_tok_total: stats(3, 0, 1),
        mj_per_tok_adjusted: { n: 1, mean: null, std: null, ci95_low: null, ci95_high: null },
        avg_tokens_per_second: stats(200, 0, 1),
      },
    });
    assert.deepEqual(renderStudySummary(plan, store.manifest), [
      "summary (mean across cycles ±95% CI)",
      "  exp  engine        model  values                   runs ok             energy J    mJ/tok         mJ/tok adj    tok/s",
      "  1    transformers  org/m  generation.batch_size=1  2/2                 100.0 ±2.5  12.346 ±0.500  8.000 ±0.250  40.0 ±1.0",
      "  2    transformers  org/m  generation.batch_size=8  1/2 (EngineKilled)  100.0       3.000          -             200.0",
    ]);
  }),
);
