import type { PlannedRun, StudyPlan } from "../config/build_plan.ts";
import type { ManifestRun } from "../results/manifest_schema.ts";
import { runDirName } from "../results/study_layout.ts";

/** Fields a run is known by in both the plan and the manifest. */
type RunIdentity = Pick<PlannedRun, "index" | "experiment" | "cycle" | "measurement_config_hash">;

/**
 * Why the plan now cannot finish a study started with `runs`, or null when it can: --resume continues a
 * study as it was started, so every run must keep its experiment, cycle and config hash at its index.
 * A changed `execution.order`, `--order`, `n_cycles` or `--cycles` (none of which is in the design hash)
 * is named, so that no result is ever stored under another run's directory.
 */
export function resumeMismatch(plan: StudyPlan, runs: readonly ManifestRun[]): string | null {
  const cyclesThen = runs.reduce((most, run) => Math.max(most, run.cycle + 1), 0);
  const cyclesNow = plan.execution.n_cycles;
  if (cyclesThen !== cyclesNow || runs.length !== plan.runs.length) {
    return `it was started with ${cyclesThen} cycle(s) (${runs.length} runs); the plan now has ` +
      `${cyclesNow} (${plan.runs.length} runs)`;
  }
  const byIndex = new Map(plan.runs.map((run) => [run.index, run]));
  for (const run of [...runs].sort((a, b) => a.index - b.index)) {
    const planned = byIndex.get(run.index);
    if (!planned || !sameRun(planned, run)) {
      return `its runs were in another order: run ${run.index} was ${describe(run)}, the plan now has ` +
        `${planned ? describe(planned) : "no such run"} (execution.order is now ${plan.execution.order})`;
    }
  }
  return null;
}

/** Whether two descriptions are of the same run: same index, experiment, cycle and config hash. */
export function sameRun(a: RunIdentity, b: RunIdentity): boolean {
  return a.index === b.index && a.experiment === b.experiment && a.cycle === b.cycle &&
    a.measurement_config_hash === b.measurement_config_hash;
}

/**
 * Whether a manifest entry's directory is the one its own fields name (the config hash is part of the
 * name), so that a hand-edited or damaged manifest cannot send a run's files into another run's folder.
 */
export function dirMatchesRun(run: ManifestRun): boolean {
  return run.dir === runDirName({
    index: run.index,
    cycle: run.cycle,
    model: run.model,
    engine: run.engine,
    hash: run.measurement_config_hash,
  });
}

function describe(run: RunIdentity): string {
  return `experiment ${run.experiment} in cycle ${run.cycle} (config ${run.measurement_config_hash})`;
}
