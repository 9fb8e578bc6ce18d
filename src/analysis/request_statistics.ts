import type { RequestRecord } from "../engines/harness_protocol.ts";
import { summaryStats } from "./summary_stats.ts";

/** Per-request metrics LLMeter aggregates, in its names. */
export const REQUEST_METRICS = [
  "time_to_last_token",
  "time_to_first_token",
  "num_tokens_output",
  "num_tokens_input",
  "num_tokens_input_cached",
] as const;

/** One request in LLMeter's terms: seconds from the request's start, tokens; null where not known. */
export interface RequestDimensions {
  time_to_first_token: number | null;
  /** Null for a request that failed before its end. */
  time_to_last_token: number | null;
  num_tokens_output: number;
  num_tokens_input: number;
  num_tokens_input_cached: number | null;
  /** Why the request failed; null when it did not (llem's windows hold completed requests only). */
  error: string | null;
}

/** A request record of requests.parquet (or the harness) as LLMeter's dimensions. */
export function requestDimensions(record: RequestRecord): RequestDimensions {
  return {
    time_to_first_token: record.first_token_s === null ? null : record.first_token_s - record.start_s,
    time_to_last_token: record.end_s - record.start_s,
    num_tokens_output: record.output_tokens,
    num_tokens_input: record.input_tokens,
    num_tokens_input_cached: null,
    error: null,
  };
}

/**
 * A window's per-request statistics keyed exactly as LLMeter's `Result.stats` (seed 002): run-level
 * figures (`failed_requests`, `failed_requests_rate`, `requests_per_minute`, token totals and per-minute
 * rates) and `{metric}-{average|p50|p90|p99}` for each of REQUEST_METRICS that has values. `totalSeconds`
 * is the test's duration (llem: the measurement window). As in LLMeter, a rate over zero requests or zero
 * seconds is 0.
 */
export function requestStatistics(
  requests: readonly RequestDimensions[],
  run: { totalRequests: number; totalSeconds: number },
): Record<string, number> {
  const { totalRequests, totalSeconds } = run;
  const failed = requests.filter((request) => request.error !== null).length;
  const totalInput = requests.reduce((sum, request) => sum + request.num_tokens_input, 0);
  const totalOutput = requests.reduce((sum, request) => sum + request.num_tokens_output, 0);
  const perMinute = (count: number) => (totalSeconds ? count / totalSeconds * 60 : 0);
  const stats: Record<string, number> = {
    failed_requests: failed,
    failed_requests_rate: totalRequests ? failed / totalRequests : 0,
    requests_per_minute: perMinute(totalRequests),
    total_input_tokens: totalInput,
    total_output_tokens: totalOutput,
    total_cached_input_tokens: requests.reduce((sum, r) => sum + (r.num_tokens_input_cached ?? 0), 0),
    total_reasoning_output_tokens: 0,
    average_input_tokens_per_minute: perMinute(totalInput),
    average_output_tokens_per_minute: perMinute(totalOutput),
  };
  for (const metric of REQUEST_METRICS) {
    const values = requests.map((request) => request[metric]).filter((v): v is number => v !== null);
    for (const [aggregation, value] of Object.entries(summaryStats(values))) {
      stats[`${metric}-${aggregation}`] = value;
    }
  }
  return stats;
}
