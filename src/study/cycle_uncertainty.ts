import { join } from "node:path";
import { cycleStatistics } from "../measure/cycle_statistics.ts";
import type { Manifest } from "../results/manifest_schema.ts";
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

/** Mean, standard deviation and 95% CI of each headline metric across the completed cycles of each config. */
export function uncertaintyAcrossCycles(studyDir: string, manifest: Manifest): Manifest["uncertainty"] {
  const byHash = new Map<string, Record<string, unknown>[]>();
  for (const run of manifest.experiments.filter((r) => r.status === "completed")) {
    const result = JSON.parse(Deno.readTextFileSync(join(resolveInside(studyDir, run.dir), RESULT_FILE)));
    byHash.set(run.measurement_config_hash, [...(byHash.get(run.measurement_config_hash) ?? []), result]);
  }
  const uncertainty: Manifest["uncertainty"] = {};
  for (const [hash, records] of byHash) {
    uncertainty[hash] = Object.fromEntries(UNCERTAINTY_METRICS.map((metric) => {
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
