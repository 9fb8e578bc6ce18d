/**
 * What the results table reads of a result.json, for a run of `energy` joules over 10 s and 400 tokens,
 * whose window (60 s at 300 W, idle 70 W, limit 700 W, 40 °C) passes every stability check.
 */
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
    energy_breakdown: {
      window_energy_j: 18_000,
      window_duration_s: 60,
      idle_baseline_power_w: 70,
      max_disagreement_fraction: 0.01,
      adjustment_floored: false,
    },
    thermal_throttle: {
      throttle_detected: false,
      throttle_duration_sec: 0,
      reasons: {},
      max_temperature_c: 40,
    },
    environment: { gpus: [{ enforced_power_limit_w: 700, power_limit_w: 700 }] },
  };
}
