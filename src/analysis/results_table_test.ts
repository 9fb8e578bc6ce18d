import assert from "node:assert/strict";
import { resultFields } from "../../tests/result_fields_fixture.ts";
import { type ResultFields, resultsTable, type StudyForTable } from "./results_table.ts";

type Run = StudyForTable["runs"][number];
const run = (
  experiment: number,
  status: string,
  value: ResultFields | null,
  extra: Partial<Run> = {},
): Run => ({
  entry: { experiment, status, error: status === "failed" ? { type: "EngineKilled" } : null },
  result: value,
  problem: null,
  ...extra,
});

const study: StudyForTable = {
  dir: "results/s",
  manifest: { study_name: "s", status: "interrupted" },
  plan: {
    varying_keys: ["generation.batch_size"],
    experiments: [
      { id: 1, config: { engine: "vllm", model: "org/m", generation: { batch_size: 1 } } },
      { id: 2, config: { engine: "vllm", model: "org/m", generation: { batch_size: 8 } } },
    ],
  },
  runs: [
    run(1, "completed", resultFields(100)),
    run(2, "completed", resultFields(100, ["short window"])),
    run(1, "completed", resultFields(110)),
    run(2, "failed", null),
    run(1, "completed", resultFields(120)),
    run(2, "completed", null, { problem: "result.json is not valid JSON" }),
    run(2, "pending", null),
  ],
};

Deno.test("resultsTable() gives each experiment its values, cycles, metrics across cycles and flags", () => {
  const [first, second] = resultsTable(study);
  assert.deepEqual(first!.values, { "generation.batch_size": 1 });
  assert.deepEqual(first!.cycles, { planned: 3, completed: 3, failed: 0, pending: 0, skipped: 0 });
  assert.equal(first!.metrics.energy_j!.mean, 110);
  assert.equal(first!.metrics.mj_per_tok!.mean, 275);
  assert.equal(first!.metrics.power_w!.mean, 11);
  assert.equal(first!.metrics.mj_per_tok_adj!.n, 0, "no baseline, no adjusted figure");
  assert.deepEqual(first!.flags, []);
  assert.deepEqual(second!.cycles, { planned: 4, completed: 1, failed: 1, pending: 1, skipped: 0 });
  assert.deepEqual(second!.flags, [
    "1 of 4 cycles",
    "failed: EngineKilled",
    "1 not run",
    "1 unreadable",
    "1 warning(s)",
  ]);
});

Deno.test("resultsTable() flags an experiment whose energy varies by more than 10% across cycles", () => {
  const unstable = {
    ...study,
    runs: [run(1, "completed", resultFields(100)), run(1, "completed", resultFields(140))],
  };
  const [row] = resultsTable(unstable);
  assert.deepEqual(row!.flags.filter((f) => f.startsWith("unstable")), [
    "unstable: energy J CV 24%",
    "unstable: mJ/tok CV 24%",
  ]);
});
