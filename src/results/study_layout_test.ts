import assert from "node:assert/strict";
import {
  MAX_NAME_LENGTH,
  resolveInside,
  runDirName,
  sanitizeName,
  STUDY_DIR_PATTERN,
  studyDirName,
} from "./study_layout.ts";

Deno.test("sanitizeName() keeps a model's organisation, joined by --", () => {
  assert.equal(sanitizeName("meta-llama/Llama-3.1-8B"), "meta-llama--Llama-3.1-8B");
  assert.equal(sanitizeName("Qwen/Qwen2.5-0.5B-Instruct"), "Qwen--Qwen2.5-0.5B-Instruct");
  assert.equal(sanitizeName("gpt2"), "gpt2");
});

Deno.test("sanitizeName() never yields a separator, a '..', a hidden name or an empty name", () => {
  assert.equal(sanitizeName("../../etc/passwd"), "etc--passwd");
  assert.equal(sanitizeName("/data/models/llama 8b/"), "data--models--llama-8b");
  assert.equal(sanitizeName("C:\\models\\x"), "C---models--x");
  assert.equal(sanitizeName("a..b...c"), "a.b.c");
  assert.equal(sanitizeName(".hidden"), "hidden");
  assert.equal(sanitizeName("--help"), "help");
  assert.equal(sanitizeName("étude énergie"), "etude-energie");
  assert.equal(sanitizeName(""), "unnamed");
  assert.equal(sanitizeName("..."), "unnamed");
  assert.equal(sanitizeName("/"), "unnamed");
  for (const name of ["..", "a/../b", "x\0y", "  ", "..\\..", "\u202e"]) {
    const safe = sanitizeName(name);
    assert.match(safe, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, name);
    assert.ok(!safe.includes(".."), name);
  }
});

Deno.test("sanitizeName() bounds long names and keeps two long names with one prefix apart", () => {
  const a = sanitizeName(`org/${"x".repeat(200)}-a`);
  const b = sanitizeName(`org/${"x".repeat(200)}-b`);
  assert.equal(a.length, MAX_NAME_LENGTH);
  assert.equal(b.length, MAX_NAME_LENGTH);
  assert.notEqual(a, b);
  assert.match(a, /^org--x+-[0-9a-f]{8}$/);
  assert.equal(sanitizeName("y".repeat(MAX_NAME_LENGTH)), "y".repeat(MAX_NAME_LENGTH));
});

Deno.test("studyDirName() appends the UTC start to the second, with dashes for colons", () => {
  const name = studyDirName("my study/v2", new Date("2026-05-07T14:32:08.987+02:00"));
  assert.equal(name, "my-study--v2_2026-05-07T12-32-08");
  assert.deepEqual(name.match(STUDY_DIR_PATTERN)?.slice(1), ["my-study--v2", "2026-05-07T12-32-08"]);
});

Deno.test("runDirName() names a model given as a local folder by its last component", () => {
  const at = (model: string) =>
    runDirName({ index: 1, cycle: 0, model, engine: "vllm", hash: "0123456789abcdef" });
  assert.equal(at("/scratch/u/models/qwen-0.5b/"), "001_c0_qwen-0.5b-vllm_0123456789abcdef");
  assert.equal(at("./models/tiny"), "001_c0_tiny-vllm_0123456789abcdef");
  assert.equal(at("../tiny"), "001_c0_tiny-vllm_0123456789abcdef");
  assert.equal(at("/"), "001_c0_unnamed-vllm_0123456789abcdef");
  assert.equal(at("org/model"), "001_c0_org--model-vllm_0123456789abcdef", "a Hugging Face id keeps its org");
});

Deno.test("runDirName() pads the index to three digits, wider past 999", () => {
  const fields = { cycle: 0, model: "Qwen/Qwen2.5-0.5B", engine: "vllm", hash: "0123456789abcdef" };
  assert.equal(runDirName({ ...fields, index: 1 }), "001_c0_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef");
  assert.equal(
    runDirName({ ...fields, index: 42, cycle: 3 }),
    "042_c3_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef",
  );
  assert.equal(runDirName({ ...fields, index: 1234 }), "1234_c0_Qwen--Qwen2.5-0.5B-vllm_0123456789abcdef");
  assert.ok(runDirName({ ...fields, index: 9 }) < runDirName({ ...fields, index: 10 }));
});

Deno.test("runDirName() refuses an index below 1 or a fractional cycle", () => {
  const fields = { cycle: 0, model: "gpt2", engine: "transformers", hash: "ab" };
  assert.throws(() => runDirName({ ...fields, index: 0 }), /index 0 is not a positive integer/);
  assert.throws(() => runDirName({ ...fields, index: 1, cycle: 0.5 }), /cycle 0.5/);
});

Deno.test("resolveInside() joins paths inside the root and refuses any that escape it", () => {
  assert.equal(resolveInside("/out/study", "001_c0_x/result.json"), "/out/study/001_c0_x/result.json");
  assert.equal(resolveInside("/out/study/", "a/../b"), "/out/study/b");
  assert.equal(resolveInside("/out/study", "..x"), "/out/study/..x");
  for (const bad of ["..", "../study2/x", "a/../../etc", "/etc/passwd", "a\0b"]) {
    assert.throws(
      () => resolveInside("/out/study", bad),
      /Cannot use path ".*": it resolves outside the output directory "\/out\/study"/,
      bad,
    );
  }
});
