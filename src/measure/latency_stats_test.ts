import assert from "node:assert/strict";
import { latencyStats } from "./latency_stats.ts";

const close = (a: number | undefined, b: number) =>
  assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${a} is not ${b}`);

Deno.test("latencyStats() takes TTFT, per-token ITL, TPOT and E2E from streamed token times", () => {
  const requests = [
    // start 10.0, tokens at 10.1, 10.12, 10.15, 10.2
    {
      output_tokens: 4,
      start_s: 10,
      first_token_s: 10.1,
      end_s: 10.2,
      token_times_s: [10.1, 10.12, 10.15, 10.2],
    },
    // start 11.0, tokens at 11.3, 11.3 (a chunk of two), 11.4
    { output_tokens: 3, start_s: 11, first_token_s: 11.3, end_s: 11.4, token_times_s: [11.3, 11.3, 11.4] },
  ];
  const stats = latencyStats("streaming", requests, { latencyProfiling: true })!;
  assert.equal(stats.measurementMode, "true_streaming");
  assert.equal(stats.itlSource, "token_times");
  assert.equal(stats.profiled, true);
  assert.equal(stats.requestCount, 2);
  close(stats.ttftMs!.mean, 200);
  close(stats.ttftMs!.min, 100);
  // ITL counted per token: 20, 30, 50 ms and 0 (same chunk), 100 ms.
  assert.equal(stats.itlMs!.count, 5);
  close(stats.itlMs!.mean, 40);
  close(stats.itlMs!.median, 30);
  close(stats.itlMs!.min, 0);
  // TPOT = (E2E - TTFT) / (n - 1): (200 - 100) / 3 and (400 - 300) / 2.
  close(stats.tpotMs!.min, 100 / 3);
  close(stats.tpotMs!.max, 50);
  close(stats.e2eMs!.mean, 300);
});

/** A streamed request without per-token times: first token at 200 ms, four more by 600 ms. */
const untimed = [{ output_tokens: 5, start_s: 0, first_token_s: 0.2, end_s: 0.6 }];

Deno.test("latencyStats() estimates ITL from the decode average when profiling gave no token times", () => {
  const stats = latencyStats("streaming", untimed, { latencyProfiling: true })!;
  assert.equal(stats.measurementMode, "proportional");
  assert.equal(stats.itlSource, "decode_average");
  assert.equal(stats.itlMs!.count, 4);
  close(stats.itlMs!.mean, 100);
  close(stats.ttftMs!.mean, 200);
});

Deno.test("latencyStats() gives TTFT only for streaming capture without profiling", () => {
  const stats = latencyStats("streaming", untimed, { latencyProfiling: false })!;
  assert.equal(stats.measurementMode, "true_streaming");
  assert.equal(stats.itlMs, null);
  assert.equal(stats.itlSource, null);
  close(stats.ttftMs!.mean, 200);
  close(stats.tpotMs!.mean, 100);
  assert.equal(stats.profiled, false);
});

Deno.test("latencyStats() maps per_batch capture to per_request_batch with E2E only", () => {
  const requests = [
    { output_tokens: 8, start_s: 0, first_token_s: null, end_s: 1.5 },
    { output_tokens: 3, start_s: 0, first_token_s: null, end_s: 1.5 },
    { output_tokens: 8, start_s: 1.5, first_token_s: null, end_s: 2.5 },
  ];
  const stats = latencyStats("per_batch", requests, { latencyProfiling: false })!;
  assert.equal(stats.measurementMode, "per_request_batch");
  assert.equal(stats.ttftMs, null);
  assert.equal(stats.itlMs, null);
  assert.equal(stats.tpotMs, null);
  close(stats.e2eMs!.median, 1500);
  assert.equal(stats.e2eMs!.count, 3);
});

Deno.test("latencyStats() is null without capture and skips requests that made no tokens", () => {
  assert.equal(latencyStats("none", [], { latencyProfiling: false }), null);
  const stats = latencyStats("streaming", [
    { output_tokens: 0, start_s: 0, first_token_s: null, end_s: 0.1 },
    { output_tokens: 1, start_s: 0, first_token_s: 0.05, end_s: 0.05, token_times_s: [0.05] },
  ], { latencyProfiling: true })!;
  assert.equal(stats.ttftMs!.count, 1);
  assert.equal(stats.itlMs, null);
  assert.equal(stats.tpotMs, null);
  assert.equal(stats.e2eMs!.count, 2);
});

Deno.test("latencyStats() does not trust token times that do not match the token count", () => {
  const requests = [{
    output_tokens: 3,
    start_s: 0,
    first_token_s: 0.1,
    end_s: 0.3,
    token_times_s: [0.1, 0.3],
  }];
  const stats = latencyStats("streaming", requests, { latencyProfiling: true })!;
  assert.equal(stats.itlSource, "decode_average");
  assert.equal(stats.itlMs!.count, 2);
  close(stats.itlMs!.mean, 100);
});
