import { join } from "node:path";
import { cycleStatistics } from "../measure/cycle_statistics.ts";
import { type Manifest, uncertaintyKey } from "../results/manifest_schema.ts";
import { resolveInside, RESULT_FILE } from "../results/study_layout.ts";

/** Headline metrics whose spread across cycles the manifest reports. */
const UNCERTAINTY_METRICS = [
  "total_energy_j",
  "energy_adjusted_j",
  "avg_tokens_per_second",
  "mj_per_tok_total",
  "mj_per_tok_adjusted",
  "total_inference_time_sec",
] as const;

/**
 * Mean, standard deviation and 95% CI of each headline metric across the completed cycles of each planned
 * experiment, keyed by uncertaintyKey(). Grouped by experiment, not by measurement_config_hash: the hash
 * leaves environment fields out, so a sweep over `gpus` has experiments that share one hash.
 */
export function uncertaintyAcrossCycles(studyDir: string, manifest: Manifest): Manifest["uncertainty"] {
  const byExperiment = new Map<string, Record<string, unknown>[]>();
  for (const run of manifest.experiments.filter((r) => r.status === "completed")) {
    const result = JSON.parse(Deno.readTextFileSync(join(resolveInside(studyDir, run.dir), RESULT_FILE)));
    const key = uncertaintyKey(run.experiment);
    byExperiment.set(key, [...(byExperiment.get(key) ?? []), result]);
  }
  const uncertainty: Manifest["uncertainty"] = {};
  for (const [key, records] of byExperiment) {
    uncertainty[key] = Object.fromEntries(UNCERTAINTY_METRICS.map((metric) => {
      const stats = cycleStatistics(
        records.map((r) => (typeof r[metric] === "number" ? r[metric] as number : null)),
      );
      return [metric, {
        n: stats.n,
        mean: stats.mean,
        std: stats.std,
        ci95_low: stats.ci95Low,
        ci95_high: stats.ci95High,
      }];
    }));
  }
  return uncertainty;
}
