import assert from "node:assert/strict";
import { resultFields } from "../../tests/result_fields_fixture.ts";
import { compareToBaseline, type StudyToCompare } from "./compare_to_baseline.ts";

/** A study of one experiment per batch size, with these energies per cycle. */
function study(hashPrefix: string, energies: Record<number, number[]>): StudyToCompare {
  const sizes = Object.keys(energies).map(Number);
  return {
    dir: hashPrefix,
    manifest: { study_name: hashPrefix, status: "completed" },
    plan: {
      varying_keys: ["generation.batch_size"],
      experiments: sizes.map((size, i) => ({
        id: i + 1,
        measurement_config_hash: `${hashPrefix}${size}`.padEnd(16, "0"),
        config: { model: "org/m", generation: { batch_size: size } },
      })),
    },
    runs: sizes.flatMap((size, i) =>
      energies[size]!.map((energy) => ({
        entry: { experiment: i + 1, status: "completed", error: null },
        result: resultFields(energy),
        problem: null,
      }))
    ),
  };
}

Deno.test("compareToBaseline() matches experiments by hash, else by swept values, and compares with Welch's CI", () => {
  const baseline = study("b", { 1: [4, 5, 6], 8: [10, 10, 10] });
  const same = compareToBaseline(baseline, baseline);
  assert.deepEqual(same.map((c) => [c.experiment, c.baseline, c.by]), [[1, 1, "hash"], [2, 2, "hash"]]);
  const changed = study("a", { 8: [9, 9.5, 10], 1: [1, 2, 3], 32: [1] });
  const compared = compareToBaseline(changed, baseline);
  assert.deepEqual(compared.map((c) => [c.experiment, c.baseline, c.by]), [
    [1, 1, "values"],
    [2, 2, "values"],
    [3, null, null],
  ]);
  const energy = compared[0]!.metrics.energy_j!;
  assert.equal(energy.difference, -3);
  assert.equal(energy.ratio, 0.4);
  // Equal variances and sizes: df 4, t(0.975, 4) = 2.776445105, se = √(2/3).
  assert.ok(Math.abs(energy.ci95_high! - (-3 + 2.776445105 * Math.sqrt(2 / 3))) < 1e-8);
  assert.deepEqual(compared[2]!.metrics, {}, "no match, no comparison");
  // Two baseline experiments with the same swept values (they differ in a key no one sweeps): ambiguous.
  const twins = study("t", { 1: [4], 8: [10] });
  twins.plan.experiments[1]!.config.generation = { batch_size: 1 };
  assert.equal(compareToBaseline(study("a", { 1: [1] }), twins)[0]!.baseline, null);
});
