import { type Distribution, distribution } from "./distribution.ts";

/**
 * Where latency figures come from: `true_streaming` (engine timestamps of the first token, and of every
 * token where ITL is given), `proportional` (ITL estimated per request as the decode time shared evenly
 * over its tokens), `per_request_batch` (only start and end of each static batch: E2E, no TTFT or ITL).
 * The mode names the weakest signal present.
 */
export type LatencyMeasurementMode = "true_streaming" | "proportional" | "per_request_batch";

/** Where the inter-token latencies came from. */
export type ItlSource = "token_times" | "decode_average";

/** The request fields latency needs, seconds on one clock (the harness's). */
export interface LatencyRequest {
  output_tokens: number;
  start_s: number;
  first_token_s: number | null;
  end_s: number;
  token_times_s?: number[] | undefined;
}

/** Latency statistics of one window, milliseconds. */
export interface LatencyStats {
  measurementMode: LatencyMeasurementMode;
  /** Latency profiling was on: per-token timing was captured and may have perturbed energy. */
  profiled: boolean;
  requestCount: number;
  /** Request start to first output token, per request. */
  ttftMs: Distribution | null;
  /** Gaps between consecutive output tokens, one value per token after the first. */
  itlMs: Distribution | null;
  itlSource: ItlSource | null;
  /** (E2E - TTFT) / (output tokens - 1), per request with at least two tokens. */
  tpotMs: Distribution | null;
  /** Request start to last token, per request. */
  e2eMs: Distribution | null;
}

/**
 * TTFT, ITL, TPOT and E2E from a window's per-request records. `capture` is the harness's: `streaming`
 * gives true_streaming (or proportional where ITL had to be estimated), `per_batch` gives
 * per_request_batch, `none` gives null. ITL comes from `token_times_s` where a request has one per output
 * token; without them, and only when latency profiling was asked for, it is estimated per request as
 * (end - first token) / (output tokens - 1), counted once per token.
 */
export function latencyStats(
  capture: "streaming" | "per_batch" | "none",
  requests: readonly LatencyRequest[],
  options: { latencyProfiling: boolean },
): LatencyStats | null {
  if (capture === "none") return null;
  const ttft: number[] = [];
  const itl: number[] = [];
  const tpot: number[] = [];
  const e2e: number[] = [];
  let timedItl = false;
  let estimatedItl = false;
  for (const request of requests) {
    e2e.push((request.end_s - request.start_s) * 1000);
    if (request.first_token_s === null || request.output_tokens === 0) continue;
    ttft.push((request.first_token_s - request.start_s) * 1000);
    if (request.output_tokens < 2) continue;
    const decodeMs = (request.end_s - request.first_token_s) * 1000;
    tpot.push(decodeMs / (request.output_tokens - 1));
    if (capture !== "streaming") continue;
    const times = request.token_times_s;
    if (times && times.length === request.output_tokens) {
      for (let i = 1; i < times.length; i++) itl.push((times[i]! - times[i - 1]!) * 1000);
      timedItl = true;
    } else if (options.latencyProfiling) {
      const gap = decodeMs / (request.output_tokens - 1);
      for (let i = 1; i < request.output_tokens; i++) itl.push(gap);
      estimatedItl = true;
    }
  }
  return {
    measurementMode: capture === "per_batch"
      ? "per_request_batch"
      : estimatedItl
      ? "proportional"
      : "true_streaming",
    profiled: options.latencyProfiling,
    requestCount: requests.length,
    ttftMs: distribution(ttft),
    itlMs: distribution(itl),
    itlSource: estimatedItl ? "decode_average" : timedItl ? "token_times" : null,
    tpotMs: distribution(tpot),
    e2eMs: distribution(e2e),
  };
}
