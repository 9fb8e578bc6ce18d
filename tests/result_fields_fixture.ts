/** What the results table reads of a result.json, for a run of `energy` joules over 10 s and 400 tokens. */
import type { ResultFields } from "../src/analysis/results_table.ts";

export function resultFields(energy: number, warnings: string[] = []): ResultFields {
  return {
    total_energy_j: energy,
    total_inference_time_sec: 10,
    avg_tokens_per_second: 40,
    mj_per_tok_total: energy * 1000 / 400,
    mj_per_tok_adjusted: null,
    measurement_warnings: warnings,
    latency_stats: { ttft_median_ms: 50, itl_median_ms: null },
  };
}
