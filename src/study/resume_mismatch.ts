import type { PlannedRun, StudyPlan } from "../config/build_plan.ts";
import { canonicalJson } from "../config/canonical_json.ts";
import { flattenData } from "../config/flatten_data.ts";
import type { StoredPlan } from "../results/load_study.ts";
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

/** How many changed keys a refusal names. */
const CHANGES_NAMED = 3;

/**
 * What changed in the experiments' resolved configs since the study was started (`stored`: its
 * _study-artefacts/plan.json), or null when nothing did. The design hash leaves environment fields out
 * (gpus, runner, image, python...), so without this a resume could finish an experiment on other GPUs or
 * another image and pool both in its statistics.
 */
export function experimentChanges(stored: Pick<StoredPlan, "experiments">, plan: StudyPlan): string | null {
  const before = new Map(stored.experiments.map((experiment) => [experiment.id, experiment.config]));
  const changes: string[] = [];
  for (const experiment of plan.experiments) {
    const config = before.get(experiment.id);
    if (!config) return `experiment ${experiment.id} is not in its plan.json`;
    changes.push(
      ...changedKeys(config, JSON.parse(JSON.stringify(experiment.config))).map((change) =>
        `experiment ${experiment.id}'s ${change}`
      ),
    );
  }
  if (changes.length === 0) return null;
  const more = changes.length > CHANGES_NAMED ? ` (and ${changes.length - CHANGES_NAMED} more)` : "";
  return `${changes.slice(0, CHANGES_NAMED).join("; ")}${more}`;
}

/** "key was X, is now Y" for every leaf that differs between two configs. */
function changedKeys(before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const then = flattenData(before);
  const current = flattenData(now);
  const keys = [...new Set([...then.keys(), ...current.keys()])].sort();
  return keys.flatMap((key) => {
    const [a, b] = [then.get(key), current.get(key)].map((value) => canonicalJson(value ?? null));
    return a === b ? [] : [`${key} was ${a}, is now ${b}`];
  });
}
