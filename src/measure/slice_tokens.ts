/** A request's output on the window's clock: seconds since the window opened. */
export interface SliceTokenRequest {
  output_tokens: number;
  start_s: number;
  first_token_s: number | null;
  end_s: number;
  token_times_s?: number[] | undefined;
}

/** How tokens were placed in a slice: by their own timestamps, spread over each request, or both. */
export type TokenAttribution = "token_times" | "proportional" | "mixed";

/** Output tokens generated inside a slice of the window. */
export interface SliceTokens {
  /** May be fractional where tokens were attributed proportionally. */
  outputTokens: number;
  /** Null when there were no requests. */
  attribution: TokenAttribution | null;
}

/**
 * Whether time t falls in the slice (start, end]: half-open, so that consecutive slices share no token;
 * a slice that starts where the window opens (0) takes its first instant too.
 */
function inSlice(t: number, start: number, end: number): boolean {
  return (t > start || (t === start && start <= 0)) && t <= end;
}

/** Share of [from, to] that lies in the slice; a zero-length interval counts wholly when its point is in. */
function overlapShare(from: number, to: number, start: number, end: number): number {
  if (to <= from) return inSlice(from, start, end) ? 1 : 0;
  return Math.max(0, Math.min(to, end) - Math.max(from, start)) / (to - from);
}

/**
 * Output tokens inside (startSeconds, endSeconds]: counted by timestamp where a request has one per
 * token (`token_times_s`), otherwise attributed proportionally to the request's overlap with the slice:
 * its first token at `first_token_s` when known and the rest spread evenly up to `end_s`, or all of
 * them spread evenly over [start_s, end_s].
 */
export function sliceTokens(
  requests: readonly SliceTokenRequest[],
  startSeconds: number,
  endSeconds: number,
): SliceTokens {
  let tokens = 0;
  let timed = 0;
  let spread = 0;
  for (const request of requests) {
    const n = request.output_tokens;
    if (request.token_times_s && request.token_times_s.length === n) {
      tokens += request.token_times_s.filter((t) => inSlice(t, startSeconds, endSeconds)).length;
      timed++;
    } else if (request.first_token_s !== null && n > 0) {
      tokens += (inSlice(request.first_token_s, startSeconds, endSeconds) ? 1 : 0) +
        (n - 1) * overlapShare(request.first_token_s, request.end_s, startSeconds, endSeconds);
      spread++;
    } else {
      tokens += n * overlapShare(request.start_s, request.end_s, startSeconds, endSeconds);
      spread++;
    }
  }
  return {
    outputTokens: tokens,
    attribution: timed && spread ? "mixed" : timed ? "token_times" : spread ? "proportional" : null,
  };
}
