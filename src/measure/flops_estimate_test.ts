import assert from "node:assert/strict";
import { flopsEstimate } from "./flops_estimate.ts";

// A Llama-like shape: 1e9 parameters, 16 layers, hidden 2048, vocab 32000 (6.6% embedding).
const model = { parameters: 1_000_000_000, layers: 16, hidden_size: 2048, vocab_size: 32_000 };

Deno.test("flopsEstimate() is 2·N_non_emb per token plus the causal attention term", () => {
  const requests = [{ input_tokens: 3, output_tokens: 2 }, { input_tokens: 1, output_tokens: 1 }];
  const estimate = flopsEstimate(model, requests, { durationSeconds: 2 });
  const n = 1e9 - 32_000 * 2048;
  // tokens 5 + 2 = 7; Σ T(T+1)/2 = 15 + 3 = 18.
  const expected = 2 * n * 7 + 2 * 16 * 2048 * 18;
  assert.equal(estimate.nonEmbeddingParameters, n);
  assert.equal(estimate.totalFlops, expected);
  assert.equal(estimate.flopsPerOutputToken, expected / 3);
  assert.equal(estimate.flopsPerInputToken, expected / 4);
  assert.equal(estimate.flopsPerSecond, expected / 2);
  assert.equal(estimate.confidence, "medium");
  assert.match(estimate.method, /vocab·hidden.*attention.*Kaplan/);
  assert.match(estimate.notes.join(";"), /untied/);
});

Deno.test("flopsEstimate() is confident when the embedding is a small share", () => {
  const large = { parameters: 70e9, layers: 80, hidden_size: 8192, vocab_size: 32_000 };
  assert.equal(
    flopsEstimate(large, [{ input_tokens: 1, output_tokens: 1 }], { durationSeconds: 1 }).confidence,
    "high",
  );
});

Deno.test("flopsEstimate() counts all parameters when vocab or hidden size is unknown, with low confidence", () => {
  const estimate = flopsEstimate(
    { parameters: 1000, layers: null, hidden_size: null, vocab_size: null },
    [{ input_tokens: 2, output_tokens: 2 }],
    { durationSeconds: 1 },
  );
  assert.equal(estimate.totalFlops, 2 * 1000 * 4);
  assert.equal(estimate.confidence, "low");
  assert.match(estimate.notes.join(";"), /attention term is left out/);
});

Deno.test("flopsEstimate() is 0 with null rates when the parameter count is unknown", () => {
  const estimate = flopsEstimate({ ...model, parameters: null }, [{ input_tokens: 5, output_tokens: 5 }], {
    durationSeconds: 1,
  });
  assert.equal(estimate.totalFlops, 0);
  assert.equal(estimate.method, "unavailable");
  assert.equal(estimate.flopsPerOutputToken, null);
  assert.equal(estimate.flopsPerInputToken, null);
  assert.equal(estimate.flopsPerSecond, null);
});

Deno.test("flopsEstimate() gives null per-token and per-second figures when the divisor is 0", () => {
  const estimate = flopsEstimate(model, [{ input_tokens: 4, output_tokens: 0 }], { durationSeconds: 0 });
  assert.ok(estimate.totalFlops > 0);
  assert.equal(estimate.flopsPerOutputToken, null);
  assert.equal(estimate.flopsPerSecond, null);
  assert.ok(estimate.flopsPerInputToken! > 0);
});
