import assert from "node:assert/strict";
import { memoryFiles } from "../../tests/memory_files.ts";
import { ConfigError, type ConfigProblem, sortProblems } from "./config_error.ts";
import { expandStudy, MAX_DECLARED_POINTS } from "./expand_study.ts";
import type { ReadFile } from "./source_file.ts";

function expand(text: string, extra: Record<string, string> = {}) {
  return expandStudy("study.yaml", memoryFiles({ "study.yaml": text, ...extra }));
}

/** Problems expansion threw, or else those it deferred to validation, as `line:col path: message`. */
function problemsOf(fn: () => { problems: ConfigProblem[] }): string[] {
  const show = (problems: ConfigProblem[]) =>
    sortProblems(problems).map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  try {
    return show(fn().problems);
  } catch (error) {
    if (error instanceof ConfigError) return show(error.problems);
    throw error;
  }
}

Deno.test("expandStudy() treats a file without sweep or experiments as one experiment", () => {
  const { points } = expand("model: gpt2\ngeneration: {batch_size: 4}\n");
  assert.equal(points.length, 1);
  assert.equal(points[0]!.origin, "single");
  assert.deepEqual(points[0]!.raw, { model: "gpt2", engine: "transformers", generation: { batch_size: 4 } });
});

Deno.test("expandStudy() crosses independent axes, the first key varying slowest", () => {
  const { points } = expand(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\n  dataset.n_prompts: [10, 20, 30]\n",
  );
  assert.deepEqual(
    points.map((p) => [p.swept["generation.batch_size"], p.swept["dataset.n_prompts"]]),
    [[1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30]],
  );
});

Deno.test("expandStudy() treats a scalar sweep value as a one-value axis", () => {
  const { points } = expand("model: m\nsweep:\n  generation.batch_size: 8\n");
  assert.deepEqual(points.map((p) => p.swept), [{ "generation.batch_size": 8 }]);
});

Deno.test("expandStudy() makes a list of mappings a group of alternatives, {} meaning no override", () => {
  const { points } = expand(
    "model: m\ngeneration: {dtype: float16}\nsweep:\n  precision:\n    - {}\n    - {generation.dtype: bfloat16}\n",
  );
  assert.deepEqual(points.map((p) => (p.raw.generation as { dtype: string }).dtype), ["float16", "bfloat16"]);
});

Deno.test("expandStudy() crosses groups with each other and with axes", () => {
  const { points } = expand(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\n  a:\n    - {dataset.seed: 1}\n    - {dataset.seed: 2}\n" +
      "  b:\n    - {}\n    - {generation.ignore_eos: true}\n    - {generation.max_new_tokens: 5}\n",
  );
  assert.equal(points.length, 2 * 2 * 3);
});

Deno.test("expandStudy() expands a list inside a group entry as a grid of its own", () => {
  const { points } = expand(
    "model: m\nsweep:\n  g:\n    - {generation.batch_size: [1, 2], dataset.seed: [7, 8]}\n    - {}\n",
  );
  assert.equal(points.length, 5);
});

Deno.test("expandStudy() keeps a list as one value where the field takes a list", () => {
  const { points } = expand(
    "model: m\nsweep:\n  g:\n    - {gpus: [0, 1]}\n  measurement.window_seconds: [[1, 5]]\n",
  );
  assert.equal(points.length, 1);
  assert.deepEqual(points[0]!.raw.gpus, [0, 1]);
  assert.deepEqual((points[0]!.raw.measurement as { window_seconds: number[] }).window_seconds, [1, 5]);
});

Deno.test("expandStudy() reads keys of a group named after a config section relative to it", () => {
  const { points } = expand(
    "model: m\nsweep:\n  generation.decoding:\n    - {temperature: 0}\n    - {temperature: 0.7}\n",
  );
  assert.deepEqual(points.map((p) => p.swept), [
    { "generation.decoding.temperature": 0 },
    { "generation.decoding.temperature": 0.7 },
  ]);
});

Deno.test("expandStudy() unflattens dotted keys in shared fields and experiments", () => {
  const { points } = expand("model: m\ngeneration.batch_size: 3\nexperiments:\n  - {dataset.n_prompts: 9}\n");
  assert.deepEqual(points[0]!.raw.generation, { batch_size: 3 });
  assert.deepEqual(points[0]!.raw.dataset, { n_prompts: 9 });
});

Deno.test("expandStudy() applies engine-scoped keys only to that engine's points", () => {
  const { points } = expand(
    "model: m\nengine: [transformers, vllm]\nsweep:\n  generation.batch_size: [1, 2]\n  vllm.max_num_seqs: [8, 16]\n",
  );
  const transformers = points.filter((p) => p.raw.engine === "transformers");
  const vllm = points.filter((p) => p.raw.engine === "vllm");
  assert.equal(transformers.length, 2);
  assert.equal(vllm.length, 4);
  assert.ok(transformers.every((p) => p.raw.vllm === undefined));
  assert.deepEqual(vllm.map((p) => (p.raw.vllm as { max_num_seqs: number }).max_num_seqs), [8, 16, 8, 16]);
});

Deno.test("expandStudy() takes the engines from scoped keys when none is given", () => {
  const { points } = expand("model: m\nsweep:\n  tensorrt.max_batch_size: [8]\n  vllm.max_num_seqs: [4]\n");
  assert.deepEqual(points.map((p) => p.raw.engine), ["vllm", "tensorrt"]);
});

Deno.test("expandStudy() drops other engines' shared sections from each engine's points", () => {
  const { points } = expand(
    "model: m\nengine: [transformers, vllm]\ntransformers: {num_beams: 2}\nvllm: {enforce_eager: true}\n",
  );
  assert.deepEqual(points.map((p) => Object.keys(p.raw).sort()), [
    ["engine", "model", "transformers"],
    ["engine", "model", "vllm"],
  ]);
});

Deno.test("expandStudy() applies a group entry with an engine's keys only to that engine", () => {
  const { points } = expand(
    "model: m\nengine: [transformers, vllm]\nsweep:\n  quant:\n    - {}\n    - {transformers.load_in_8bit: true}\n" +
      "    - {vllm.quantization: fp8}\n",
  );
  assert.equal(points.filter((p) => p.raw.engine === "transformers").length, 2);
  assert.equal(points.filter((p) => p.raw.engine === "vllm").length, 2);
});

Deno.test("expandStudy() expands range shorthands, rounding for integer fields", () => {
  const { points } = expand(
    "model: m\nsweep:\n  generation.batch_size: {min: 1, max: 10, num: 3}\n  generation.decoding.top_p: {min: 0.5, max: 1, num: 2}\n",
  );
  assert.deepEqual(points.map((p) => p.swept["generation.batch_size"]), [1, 1, 6, 6, 10, 10]);
  assert.deepEqual(points.slice(0, 2).map((p) => p.swept["generation.decoding.top_p"]), [0.5, 1]);
});

Deno.test("expandStudy() appends experiments after the sweep, deep-merged onto shared fields", () => {
  const { points } = expand(
    "model: m\ngeneration: {batch_size: 2, max_new_tokens: 9}\nsweep:\n  dataset.seed: [1]\n" +
      "experiments:\n  - {generation: {batch_size: 5}}\n",
  );
  assert.deepEqual(points.map((p) => p.origin), ["sweep", "experiments"]);
  assert.deepEqual(points[1]!.raw.generation, { batch_size: 5, max_new_tokens: 9 });
});

Deno.test("expandStudy() runs only the experiments list when there is no sweep", () => {
  const { points } = expand("model: m\nexperiments:\n  - {dataset.seed: 1}\n  - {dataset.seed: 2}\n");
  assert.equal(points.length, 2);
});

Deno.test("expandStudy() overlays the study on its base file, resolved relative to the study", () => {
  const { points } = expandStudy(
    "dir/study.yaml",
    memoryFiles({
      "dir/study.yaml": "base: ../common/base.yaml\ngeneration: {batch_size: 4}\n",
      "common/base.yaml": "base: deeper.yaml\nmodel: from-base\ngeneration: {max_new_tokens: 7}\n",
      "common/deeper.yaml": "model: from-deeper\ndataset: {n_prompts: 3}\n",
    }),
  );
  assert.deepEqual(points[0]!.raw, {
    model: "from-base",
    dataset: { n_prompts: 3 },
    generation: { max_new_tokens: 7, batch_size: 4 },
    engine: "transformers",
  });
});

Deno.test("expandStudy() rejects a base file that holds study keys", () => {
  const problems = problemsOf(() =>
    expand("base: b.yaml\n", { "b.yaml": "model: m\nsweep: {dataset.seed: [1]}\n" })
  );
  assert.deepEqual(problems, ['2:1 sweep: "sweep" belongs in the study file, not in a base file']);
});

Deno.test("expandStudy() reports every structural problem at once, located", () => {
  const problems = problemsOf(() =>
    expand("model: m\nsweep:\n  generation.bach: [1]\n  dataset.seed: [1, {a: 1}]\n  gpus: [0]\nnmae: x\n")
  );
  assert.deepEqual(problems, [
    '3:3 sweep.generation.bach: unknown key "generation.bach"',
    "4:17 sweep.dataset.seed: mixed list: found both plain values and mappings",
    '5:3 sweep.gpus: "gpus" takes a list, so each value of its axis must itself be a list',
    '6:1 nmae: unknown key "nmae"',
  ]);
});

Deno.test("expandStudy() refuses a sweep above the limit before building it", () => {
  const side = Math.ceil(Math.sqrt(MAX_DECLARED_POINTS)) + 1;
  const problems = problemsOf(() =>
    expand(
      `model: m\nsweep:\n  dataset.seed: {min: 1, max: ${side}, num: ${side}}\n  generation.batch_size: {min: 1, max: ${side}, num: ${side}}\n`,
    )
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /more than 100,000 grid points/);
});

/** Every line llem would print for the ConfigError `fn` throws: messages and hints. */
function printedBy(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.problems.map((p) => `${p.message}\n${p.hint ?? ""}`).join("\n");
    }
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("expandStudy() never prints the content of a base file that is not a config", () => {
  // base: can name any file the user can read; its content must not reach the terminal or a CI log.
  const secrets: Record<string, string> = {
    "token": "hf_SUPERSECRETTOKEN\n",
    "shadow": "root:$6$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    "key.json": '{"type": "service_account", "private_key_SECRET": "-----BEGIN"}\n',
    "list.yaml": "- hf_SECRETINALIST\n",
    "env": "HF_TOKEN: hf_SECRETVALUE\nOTHER_SECRET: 1\n",
  };
  for (const name of Object.keys(secrets)) {
    const printed = printedBy(() => expand(`model: m\nbase: ${name}\n`, secrets));
    assert.doesNotMatch(printed, /SECRET/, `printed for base: ${name}`);
  }
  assert.match(
    printedBy(() => expand("model: m\nbase: shadow\n", secrets)),
    /^is not a config: none of its 2 top-level keys is a config key/,
  );
});

Deno.test("expandStudy() names a study file that is not a config without quoting it", () => {
  assert.equal(
    problemsOf(() => expand("HF_TOKEN: hf_SECRETVALUE\n")).join("\n"),
    "0:0 : is not a config: none of its 1 top-level keys is a config key",
  );
});

Deno.test("expandStudy() still names unknown keys of a config, with a did-you-mean", () => {
  assert.deepEqual(problemsOf(() => expand("modle: m\n")), ['1:1 modle: unknown key "modle"']);
  assert.deepEqual(
    problemsOf(() => expand("model: m\nbase: b.yaml\n", { "b.yaml": "model: m\nextra_key: 1\n" })),
    [
      '2:1 extra_key: unknown key "extra_key"',
    ],
  );
});

Deno.test("expandStudy() says why a base file could not be read", () => {
  const files: ReadFile = (path) =>
    path === "pipe.yaml"
      ? { kind: "unreadable", reason: "is a pipe, not a regular file" }
      : memoryFiles({ "study.yaml": "model: m\nbase: pipe.yaml\n" })(path);
  assert.deepEqual(problemsOf(() => expandStudy("study.yaml", files)), [
    '2:7 base: base file "pipe.yaml" cannot be read: is a pipe, not a regular file',
  ]);
});

Deno.test("expandStudy() describes a name or base that is not a finite number in words", () => {
  assert.deepEqual(problemsOf(() => expand("model: m\nname: .nan\n")), [
    "2:7 name: expected a non-empty string, found .nan (not a number)",
  ]);
  assert.deepEqual(problemsOf(() => expand("model: m\nbase: .inf\n")), [
    "2:7 base: expected a file path, found .inf (an infinite number, or one beyond 1.8e308)",
  ]);
});

Deno.test("expandStudy() clips a key as long as its file when it names it", () => {
  // A 2 MB key was printed twice, after its did-you-mean had built a 2-million-row table (1.9 GB, 9 s).
  const key = "a".repeat(1_000_000);
  const error = new ConfigError(expand(`{"${key}": 1, model: m}\n`).problems);
  assert.ok(error.message.length < 400, `a ${error.message.length}-character message`);
  assert.match(error.message, /^study\.yaml:1:2: a{100}.*\.\.\.: unknown key "a{40,}\.\.\.$/);
});
