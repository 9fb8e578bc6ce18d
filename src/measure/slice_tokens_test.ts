import assert from "node:assert/strict";
import { sliceTokens } from "./slice_tokens.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} is not ${b}`);

Deno.test("sliceTokens() counts tokens by their timestamps where every token has one", () => {
  const requests = [{
    output_tokens: 4,
    start_s: 0,
    first_token_s: 0.5,
    end_s: 3,
    token_times_s: [0.5, 1, 2, 3],
  }];
  assert.deepEqual(sliceTokens(requests, 0, 0.9), { outputTokens: 1, attribution: "token_times" });
  // Slices are (start, end]: consecutive slices share no token, and together hold every one.
  assert.equal(sliceTokens(requests, 0, 1).outputTokens, 2);
  assert.equal(sliceTokens(requests, 1, 3).outputTokens, 2);
});

Deno.test("sliceTokens() spreads a request's tokens over its span by overlap", () => {
  // No first-token time: 10 tokens over [0, 4]; the slice [1, 4] holds 3/4 of them.
  const requests = [{ output_tokens: 10, start_s: 0, first_token_s: null, end_s: 4 }];
  const result = sliceTokens(requests, 1, 4);
  close(result.outputTokens, 7.5);
  assert.equal(result.attribution, "proportional");
});

Deno.test("sliceTokens() places the first token at its time and spreads the rest after it", () => {
  // First token at 1, 8 more over [1, 3]: the slice [2, 10] holds half of the 8.
  const requests = [{ output_tokens: 9, start_s: 0, first_token_s: 1, end_s: 3 }];
  close(sliceTokens(requests, 2, 10).outputTokens, 4);
  close(sliceTokens(requests, 0, 10).outputTokens, 9);
});

Deno.test("sliceTokens() reports mixed attribution and handles instant requests", () => {
  const requests = [
    { output_tokens: 2, start_s: 0, first_token_s: 1, end_s: 2, token_times_s: [1, 2] },
    { output_tokens: 3, start_s: 5, first_token_s: null, end_s: 5 },
  ];
  const result = sliceTokens(requests, 1.5, 5);
  assert.equal(result.outputTokens, 4);
  assert.equal(result.attribution, "mixed");
  assert.deepEqual(sliceTokens([], 0, 1), { outputTokens: 0, attribution: null });
});
