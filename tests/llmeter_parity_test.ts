/**
 * llem's per-request statistics against LLMeter's own: LLMeter (pinned, in a virtual environment made by
 * scripts/parity/llmeter_venv.sh, which .ci/run runs) computes its Result statistics on the same records;
 * the keys must be the same and every value equal to 1e-9.
 */
import assert from "node:assert/strict";
import { parityTool } from "./parity_tool.ts";
import { mulberry32 } from "../src/config/order_runs.ts";
import { type RequestDimensions, requestStatistics } from "../src/analysis/request_statistics.ts";

const repo = new URL("../", import.meta.url).pathname;

/** LLMeter's statistics of `given`, from its own Result. */
async function statsOf(python: string, given: { requests: RequestDimensions[]; seconds: number }) {
  const child = new Deno.Command(python, {
    args: [`${repo}scripts/parity/llmeter_stats.py`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = {
    total_requests: given.requests.length,
    total_test_time: given.seconds,
    responses: given.requests,
  };
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const output = await child.output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!output.success) throw new Error(`LLMeter failed: ${text(output.stderr)}`);
  return JSON.parse(text(output.stdout)) as Record<string, number>;
}

/** `n` requests of an engine under load: seeded, so every run compares the same records. */
function requests(n: number, seed: number): RequestDimensions[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const ttft = 0.02 + random() * 0.5;
    const failed = i % 97 === 13;
    return {
      time_to_first_token: failed || i % 31 === 7 ? null : ttft,
      time_to_last_token: failed ? null : ttft + random() * 4,
      num_tokens_output: failed ? 0 : 1 + Math.floor(random() * 512),
      num_tokens_input: 16 + Math.floor(random() * 2048),
      num_tokens_input_cached: i % 5 === 0 ? Math.floor(random() * 16) : null,
      error: failed ? "the engine raised" : null,
    };
  });
}

const python = parityTool("llmeter_venv.sh");

Deno.test({
  name: `${python ? "" : "SKIPPED (no LLMeter environment: bash scripts/parity/llmeter_venv.sh): "}` +
    "llem's per-request statistics have LLMeter's keys and values, to 1e-9",
  ignore: python === null,
  async fn() {
    const cases = [
      { requests: requests(1000, 1), seconds: 93.5 },
      { requests: requests(7, 2), seconds: 4 },
      { requests: requests(2, 3), seconds: 1.25 },
      { requests: requests(1, 4), seconds: 0.5 },
    ];
    for (const given of cases) {
      const theirs = await statsOf(python!, given);
      const ours = requestStatistics(given.requests, {
        totalRequests: given.requests.length,
        totalSeconds: given.seconds,
      });
      assert.deepEqual(
        Object.keys(ours).sort(),
        Object.keys(theirs).sort(),
        `${given.requests.length} requests`,
      );
      for (const [key, value] of Object.entries(theirs)) {
        const difference = Math.abs(ours[key]! - value);
        assert.ok(
          difference <= 1e-9 * Math.max(1, Math.abs(value)),
          `${given.requests.length} requests, ${key}: llem ${ours[key]}, LLMeter ${value}`,
        );
      }
    }
  },
});
