import assert from "node:assert/strict";
import { didYouMean, editDistance } from "./did_you_mean.ts";

// ---------------------------------------------------------------- editDistance

Deno.test("editDistance of identical strings is 0", () => {
  for (const s of ["", "a", "model", "max_new_tokens"]) assert.equal(editDistance(s, s), 0);
});

Deno.test("editDistance against the empty string is the other string's length", () => {
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abcd", ""), 4);
});

Deno.test("editDistance counts single insertions, deletions and substitutions as 1", () => {
  assert.equal(editDistance("cat", "cats"), 1);
  assert.equal(editDistance("cats", "cat"), 1);
  assert.equal(editDistance("cat", "cut"), 1);
  assert.equal(editDistance("cat", "at"), 1);
  assert.equal(editDistance("at", "cat"), 1);
});

Deno.test("editDistance matches known Levenshtein distances", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("flaw", "lawn"), 2);
  assert.equal(editDistance("intention", "execution"), 5);
  assert.equal(editDistance("abc", "xyz"), 3);
  assert.equal(editDistance("saturday", "sunday"), 3);
});

Deno.test("editDistance counts swapping two neighbouring letters as one edit", () => {
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("vllm", "vlml"), 1);
  assert.equal(editDistance("modle", "model"), 1);
  assert.equal(editDistance("abc", "ca"), 3);
});

Deno.test("editDistance is case sensitive", () => {
  assert.equal(editDistance("Model", "model"), 1);
  assert.equal(editDistance("ABC", "abc"), 3);
});

Deno.test("editDistance is symmetric and obeys the triangle inequality", () => {
  const words = ["", "a", "ab", "batch", "batch_size", "beam", "engine", "engines", "gpu", "gpus", "seed"];
  for (const a of words) {
    for (const b of words) {
      const ab = editDistance(a, b);
      assert.equal(ab, editDistance(b, a), `${a} / ${b}`);
      assert.ok(ab >= Math.abs(a.length - b.length), `${a} / ${b}: below length difference`);
      assert.ok(ab <= Math.max(a.length, b.length), `${a} / ${b}: above longer length`);
      assert.equal(ab === 0, a === b);
      for (const c of words) assert.ok(ab <= editDistance(a, c) + editDistance(c, b), `${a} ${b} ${c}`);
    }
  }
});

// ---------------------------------------------------------------- didYouMean

Deno.test("didYouMean suggests the closest candidate for a typo", () => {
  assert.equal(didYouMean("modle", ["model", "engine", "gpus"]), "model");
  assert.equal(didYouMean("enigne", ["model", "engine", "gpus"]), "engine");
  assert.equal(didYouMean("max_new_token", ["max_new_tokens", "max_input_tokens"]), "max_new_tokens");
  assert.equal(didYouMean("vlm", ["transformers", "vllm", "tensorrt"]), "vllm");
});

Deno.test("didYouMean picks the candidate with the smallest distance, not the first close one", () => {
  assert.equal(didYouMean("gpuss", ["gp", "gpus"]), "gpus");
  assert.equal(didYouMean("seeds", ["speed", "seed"]), "seed");
});

Deno.test("didYouMean keeps the first of equally close candidates", () => {
  assert.equal(didYouMean("cat", ["bat", "hat"]), "bat");
  assert.equal(didYouMean("cat", ["hat", "bat"]), "hat");
});

Deno.test("didYouMean returns an exact match", () => {
  assert.equal(didYouMean("engine", ["model", "engine"]), "engine");
});

Deno.test("didYouMean ignores case but returns the candidate as spelled", () => {
  assert.equal(didYouMean("MODEL", ["model"]), "model");
  assert.equal(didYouMean("flash", ["FLASH_attn", "Flush"]), "Flush");
  assert.equal(didYouMean("TensorRT", ["transformers", "vllm", "tensorrt"]), "tensorrt");
});

Deno.test("didYouMean returns undefined when nothing is close enough", () => {
  assert.equal(didYouMean("banana", ["model", "engine", "gpus"]), undefined);
  assert.equal(didYouMean("xyz", ["abc"]), undefined);
});

Deno.test("didYouMean returns undefined for no candidates", () => {
  assert.equal(didYouMean("model", []), undefined);
});

Deno.test("didYouMean allows a third of the word's length in edits (at least 1)", () => {
  // lengths 1 to 5: limit 1
  assert.equal(didYouMean("a", ["b"]), "b");
  assert.equal(didYouMean("ab", ["xb"]), "xb");
  assert.equal(didYouMean("ab", ["xy"]), undefined);
  assert.equal(didYouMean("abcde", ["xbcde"]), "xbcde");
  assert.equal(didYouMean("abcde", ["xycde"]), undefined);
  // lengths 6 to 8: limit 2 (so "trtllm" is not taken for "vllm", distance 3)
  assert.equal(didYouMean("abcdef", ["xycdef"]), "xycdef");
  assert.equal(didYouMean("abcdef", ["xyzdef"]), undefined);
  assert.equal(didYouMean("trtllm", ["transformers", "vllm", "tensorrt"]), undefined);
  // length 9 and more: limit 3
  assert.equal(didYouMean("abcdefghi", ["xyzdefghi"]), "xyzdefghi");
  assert.equal(didYouMean("abcdefghi", ["xyzwefghi"]), undefined);
});

Deno.test("didYouMean never allows more than 3 edits, however long the word", () => {
  const word = "a_very_long_option_name";
  assert.equal(didYouMean(word, ["a_very_long_option_nXYZ"]), "a_very_long_option_nXYZ");
  assert.equal(didYouMean(word, ["a_very_long_option_WXYZ"]), undefined);
});

Deno.test("didYouMean limit depends on the typed word's length, not the candidate's", () => {
  // "ab" -> "abcd" is 2 insertions: over the limit of 1 for a 2-letter word.
  assert.equal(didYouMean("ab", ["abcd"]), undefined);
  // "abcdef" -> "abcd" is 2 deletions: within the limit of 2 for a 6-letter word.
  assert.equal(didYouMean("abcdef", ["abcd"]), "abcd");
});

Deno.test("didYouMean accepts any iterable of candidates", () => {
  assert.equal(didYouMean("gpu", new Set(["gpus", "model"])), "gpus");
  function* names() {
    yield "model";
    yield "engine";
  }
  assert.equal(didYouMean("engin", names()), "engine");
  assert.equal(didYouMean("runer", new Map([["runner", 1]]).keys()), "runner");
});
