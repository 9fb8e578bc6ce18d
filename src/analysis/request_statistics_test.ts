import assert from "node:assert/strict";
import { requestDimensions, requestStatistics } from "./request_statistics.ts";

const records = [
  { index: 0, input_tokens: 16, output_tokens: 8, start_s: 10, first_token_s: 10.1, end_s: 10.5 },
  { index: 1, input_tokens: 16, output_tokens: 4, start_s: 10, first_token_s: 10.3, end_s: 11 },
  { index: 2, input_tokens: 32, output_tokens: 8, start_s: 11, first_token_s: null, end_s: 12 },
];

Deno.test("requestStatistics() keys a window's requests as LLMeter's Result.stats does", () => {
  const stats = requestStatistics(records.map(requestDimensions), { totalRequests: 3, totalSeconds: 2 });
  assert.equal(stats.failed_requests, 0);
  assert.equal(stats.failed_requests_rate, 0);
  assert.equal(stats.requests_per_minute, 90);
  assert.equal(stats.total_input_tokens, 64);
  assert.equal(stats.total_output_tokens, 20);
  assert.equal(stats.average_output_tokens_per_minute, 600);
  assert.equal(stats["num_tokens_output-p50"], 8);
  assert.equal(stats["time_to_last_token-p50"], 1);
  // Only the two requests with a first token count toward its statistics.
  assert.ok(Math.abs(stats["time_to_first_token-average"]! - 0.2) < 1e-12);
  assert.equal("num_tokens_input_cached-average" in stats, false, "no values, no statistics");
});

Deno.test("requestStatistics() has rates of 0 over no time or no requests, as LLMeter has", () => {
  const stats = requestStatistics([], { totalRequests: 0, totalSeconds: 0 });
  assert.equal(stats.requests_per_minute, 0);
  assert.equal(stats.failed_requests_rate, 0);
  assert.equal("time_to_first_token-p50" in stats, false);
});
