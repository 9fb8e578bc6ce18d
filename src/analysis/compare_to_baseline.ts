import { canonicalJson } from "../config/canonical_json.ts";
import { valueAtPath } from "../config/value_at_path.ts";
import { HEADLINE_METRICS, type StudyForTable } from "./results_table.ts";
import { type MeanComparison, welchDifference } from "./welch_difference.ts";

/** A study as a comparison reads it: the table's view plus each experiment's config hash. */
export interface StudyToCompare extends Omit<StudyForTable, "plan"> {
  plan: {
    varying_keys: readonly string[];
    experiments: readonly { id: number; config: Record<string, unknown>; measurement_config_hash: string }[];
  };
}

/** An experiment against its match in the baseline study: how it matched, and each metric compared. */
export interface BaselineComparison {
  experiment: number;
  /** The baseline study's experiment; null when none matches. */
  baseline: number | null;
  /** "hash": the same measurement_config_hash; "values": the same swept values and model. */
  by: "hash" | "values" | null;
  /** Per headline metric: ratio of means (study / baseline) and the difference with Welch's 95% CI. */
  metrics: Record<string, MeanComparison>;
}

/**
 * Match each experiment of `study` to one of `baseline` (the same measurement_config_hash, else the one
 * baseline experiment with the same model, engine and values of every key either study sweeps; several such
 * is no match) and compare their cycles metric by metric.
 */
export function compareToBaseline(study: StudyToCompare, baseline: StudyToCompare): BaselineComparison[] {
  const keys = [...new Set([...study.plan.varying_keys, ...baseline.plan.varying_keys])];
  const identity = (config: Record<string, unknown>) =>
    canonicalJson([
      config.model ?? null,
      config.engine ?? null,
      ...keys.map((key) => valueAtPath(config, key) ?? null),
    ]);
  return study.plan.experiments.map((experiment) => {
    const byHash = baseline.plan.experiments.find((b) =>
      b.measurement_config_hash === experiment.measurement_config_hash
    );
    // By values only when exactly one baseline experiment has them: an ambiguous match is no match.
    const candidates = byHash
      ? []
      : baseline.plan.experiments.filter((b) => identity(b.config) === identity(experiment.config));
    const byValues = candidates.length === 1 ? candidates[0] : undefined;
    const match = byHash ?? byValues ?? null;
    const metrics = match === null ? {} : Object.fromEntries(HEADLINE_METRICS.map((metric) => [
      metric.key,
      welchDifference(valuesOf(study, experiment.id, metric.key), valuesOf(baseline, match.id, metric.key)),
    ]));
    return {
      experiment: experiment.id,
      baseline: match?.id ?? null,
      by: byHash ? "hash" : byValues ? "values" : null,
      metrics,
    };
  });
}

function valuesOf(study: StudyForTable, experiment: number, key: string): number[] {
  const metric = HEADLINE_METRICS.find((m) => m.key === key)!;
  return study.runs.flatMap((run) => {
    if (run.entry.experiment !== experiment || !run.result) return [];
    const value = metric.of(run.result);
    return value === null || !Number.isFinite(value) ? [] : [value];
  });
}
