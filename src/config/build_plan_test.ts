import assert from "node:assert/strict";
import { memoryFiles } from "../../tests/memory_files.ts";
import { ConfigError } from "./config_error.ts";
import { planStudy } from "./plan_study.ts";

function planOf(text: string) {
  return planStudy("study.yaml", memoryFiles({ "study.yaml": text }));
}

Deno.test("buildPlan() skips invalid points with the rule, message and fix, and keeps the rest", () => {
  const plan = planOf(
    "model: m\ntransformers: {attn_implementation: flash_attention_2}\nsweep:\n  generation.dtype: [float16, float32]\n",
  );
  assert.equal(plan.funnel.invalid, 1);
  assert.equal(plan.funnel.valid, 1);
  const [skipped] = plan.skipped;
  assert.equal(skipped!.index, 1);
  assert.deepEqual(skipped!.swept, { "generation.dtype": "float32" });
  assert.equal(skipped!.reasons[0]!.rule, "transformers-flash-attention-dtype");
  assert.match(skipped!.reasons[0]!.hint, /float16 or bfloat16/);
});

Deno.test("buildPlan() fails with every reason when nothing is valid", () => {
  assert.throws(
    () => planOf("model: m\ntransformers: {load_in_4bit: true, load_in_8bit: true}\n"),
    (error: unknown) =>
      error instanceof ConfigError && error.problems.length === 1 &&
      /nothing to run: all 1 declared experiment\(s\) are invalid: load_in_4bit and load_in_8bit/.test(
        error.problems[0]!.message,
      ),
  );
});

Deno.test("buildPlan() collapses points whose resolved configs are identical and keeps the groups", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\n  g:\n    - {}\n    - {generation.dtype: bfloat16}\n    - {generation.dtype: float16}\n",
  );
  assert.deepEqual(plan.funnel, {
    declared: 6,
    invalid: 0,
    valid: 6,
    duplicates: 2,
    unique: 4,
    cycles: 1,
    runs: 4,
  });
  assert.deepEqual(plan.experiments.map((e) => e.members), [[0, 1], [2], [3, 4], [5]]);
});

Deno.test("buildPlan() keeps duplicates when deduplicate is off", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.dtype: [bfloat16, bfloat16]\nexecution: {deduplicate: false}\n",
  );
  assert.equal(plan.funnel.unique, 2);
  assert.equal(plan.experiments[0]!.measurement_config_hash, plan.experiments[1]!.measurement_config_hash);
});

Deno.test("buildPlan() does not merge experiments that differ only in where they run", () => {
  const plan = planOf("model: m\nsweep:\n  runner: [docker, process]\n");
  assert.equal(plan.funnel.unique, 2);
  assert.equal(plan.experiments[0]!.measurement_config_hash, plan.experiments[1]!.measurement_config_hash);
});

Deno.test("buildPlan() fills the chosen engine's options with defaults", () => {
  const plan = planOf("model: m\nengine: tensorrt\n");
  assert.equal(plan.experiments[0]!.config.tensorrt?.backend, "pytorch");
  assert.equal(plan.experiments[0]!.config.tensorrt?.max_batch_size, null, "left to TensorRT-LLM");
  assert.equal(plan.experiments[0]!.config.vllm, undefined);
});

Deno.test("buildPlan() derives the shuffle seed from the design hash, so the order is reproducible", () => {
  const text =
    "model: m\nsweep:\n  generation.batch_size: [1, 2, 3, 4, 5, 6]\nexecution: {order: shuffle, n_cycles: 2}\n";
  const a = planOf(text);
  const b = planOf(text);
  assert.equal(a.effective_shuffle_seed, Number(BigInt(`0x${a.study_design_hash}`) & 0xFFFFFFFFn));
  assert.deepEqual(a.runs.map((r) => r.experiment), b.runs.map((r) => r.experiment));
  const seeded = planOf(text.replace("n_cycles: 2", "n_cycles: 2, shuffle_seed: 1"));
  assert.equal(seeded.effective_shuffle_seed, 1);
});

Deno.test("buildPlan() numbers runs and cycles and places experiment and cycle gaps", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\nexecution: {n_cycles: 2, order: interleave, " +
      "experiment_gap_seconds: 5, cycle_gap_seconds: 60}\n",
  );
  assert.deepEqual(
    plan.runs.map((r) => [r.index, r.cycle, r.experiment, r.gap_kind, r.gap_before_seconds]),
    [[1, 0, 1, "none", 0], [2, 0, 2, "experiment", 5], [3, 1, 1, "cycle", 60], [4, 1, 2, "experiment", 5]],
  );
});

Deno.test("buildPlan() puts cycle gaps between experiments' blocks under sequential order", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\nexecution: {n_cycles: 2, experiment_gap_seconds: 5, cycle_gap_seconds: 60}\n",
  );
  assert.deepEqual(plan.runs.map((r) => [r.experiment, r.cycle, r.gap_kind]), [
    [1, 0, "none"],
    [1, 1, "experiment"],
    [2, 0, "cycle"],
    [2, 1, "experiment"],
  ]);
});

Deno.test("buildPlan() groups consecutive runs that load the model identically into one session", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\n  generation.dtype: [float16, bfloat16]\nexecution: {order: sequential}\n",
  );
  // batch size does not reload the model; dtype does: declared bs1/fp16, bs1/bf16, bs2/fp16, bs2/bf16, the
  // runs are grouped by dtype: bs1/fp16, bs2/fp16, bs1/bf16, bs2/bf16.
  assert.deepEqual(plan.runs.map((r) => r.session), [1, 1, 2, 2]);
  assert.deepEqual(plan.runs.map((r) => r.experiment), [1, 3, 2, 4]);
  assert.equal(plan.session_grouping, "by_model_load");
  assert.equal(plan.sessions_as_declared, 4);
  const same = planOf("model: m\nsweep:\n  generation.batch_size: [1, 2, 4]\n");
  assert.deepEqual(same.runs.map((r) => r.session), [1, 1, 1]);
  const fresh = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2, 4]\nexecution: {reuse_sessions: false}\n",
  );
  assert.deepEqual(fresh.runs.map((r) => r.session), [1, 2, 3]);
});

Deno.test("buildPlan() loads the model twice, not once per point, when a load-time axis is listed last", () => {
  const batchSizes = Array.from({ length: 50 }, (_, i) => i + 1).join(", ");
  const sweep =
    `model: m\nsweep:\n  generation.batch_size: [${batchSizes}]\n  generation.dtype: [float16, bfloat16]\n`;
  for (const order of ["sequential", "interleave", "reverse"]) {
    const plan = planOf(`${sweep}execution: {order: ${order}, n_cycles: 2}\n`);
    assert.equal(plan.sessions_as_declared, { sequential: 100, interleave: 200, reverse: 199 }[order], order);
    assert.equal(plan.sessions, order === "sequential" ? 2 : order === "interleave" ? 4 : 3, order);
  }
  // Shuffle and latin_square spread the experiments on purpose: their order is kept.
  const shuffled = planOf(`${sweep}execution: {order: shuffle, n_cycles: 2}\n`);
  assert.equal(shuffled.session_grouping, "as_declared");
  assert.equal(shuffled.sessions, shuffled.sessions_as_declared);
});

Deno.test("buildPlan() loads the model again for each value of transformers' generate() options", () => {
  // The adapter takes num_beams at configure: runs sharing a session would all use the first run's.
  const plan = planOf("model: m\nsweep:\n  transformers.num_beams: [1, 2, 4]\n");
  assert.equal(plan.sessions, 3);
});

Deno.test("buildPlan() starts a new session when decoding.seed changes: the engine is seeded when it loads", () => {
  const plan = planOf("model: m\nsweep:\n  generation.decoding.seed: [1, 2]\n");
  assert.deepEqual(plan.runs.map((r) => r.session), [1, 2]);
});

Deno.test("buildPlan() bounds wall time from gaps, thermal floors, warmups and baselines", () => {
  const plan = planOf(
    "model: m\nsweep:\n  generation.batch_size: [1, 2]\nexecution: {n_cycles: 2, order: interleave, experiment_gap_seconds: 5, " +
      "cycle_gap_seconds: 60}\nmeasurement:\n  thermal_floor: {min_seconds: 7}\n  warmup: {min_seconds: 11}\n" +
      "  baseline: {strategy: fresh, duration_seconds: 30}\n",
  );
  // 4 runs, 1 session; gaps: 5 + 60 + 5.
  assert.deepEqual(plan.wall_time_lower_bound, {
    total_seconds: 10 + 60 + 28 + 11 + 30,
    experiment_gaps_seconds: 10,
    cycle_gaps_seconds: 60,
    thermal_floor_seconds: 28,
    warmup_seconds: 11,
    baseline_seconds: 30,
  });
});

Deno.test("buildPlan() lists only the keys whose values differ between experiments", () => {
  const plan = planOf("model: m\nsweep:\n  generation.batch_size: [1, 2]\n  dataset.seed: [5]\n");
  assert.deepEqual(plan.varying_keys, ["generation.batch_size"]);
});

Deno.test("buildPlan() reports problems of every point together, located at the swept value", () => {
  assert.throws(
    () => planOf("model: m\nsweep:\n  generation.batch_size: [1, -1, 2, 0.5]\n"),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.map((p) => `${p.line}:${p.column}`).join(" ") === "3:30 3:37",
  );
});

Deno.test("steady_state_discard_fraction takes a fraction or auto, and auto is a measurement of its own", () => {
  const plan = planOf(`
model: m
measurement: {methodology: steady_state}
sweep:
  measurement.steady_state_discard_fraction: [0.1, auto]
`);
  const [fixed, auto] = plan.experiments;
  assert.equal(fixed!.config.measurement.steady_state_discard_fraction, 0.1);
  assert.equal(auto!.config.measurement.steady_state_discard_fraction, "auto");
  assert.notEqual(fixed!.measurement_config_hash, auto!.measurement_config_hash);
  assert.throws(
    () => planOf("model: m\nmeasurement: {steady_state_discard_fraction: detect}\n"),
    (error: unknown) => error instanceof ConfigError && /steady_state_discard_fraction/.test(error.message),
  );
});

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("planStudy() reports 200,000 unknown keys of one mapping as bad input, not a crash", () => {
  // Spreading that many problems into one push exceeded the call stack: exit 1, a bug, for bad input.
  const keys = (indent: string) => Array.from({ length: 200_000 }, (_, i) => `${indent}k${i}: 1\n`).join("");
  for (const section of ["generation", "execution"]) {
    const error = configErrorOf(() => planOf(`model: m\n${section}:\n${keys("  ")}`));
    assert.equal(error.problems.length, 200_000);
    assert.equal(error.problems[0]!.message, 'unknown key "k0"');
  }
});

Deno.test("planStudy() refuses more than 100,000 runs before building them", () => {
  // 100,000 points x 1,000 cycles within the documented limits ran out of memory building 10^8 runs.
  const text = "model: m\nsweep:\n  generation.batch_size: {min: 1, max: 200, num: 200}\n" +
    "execution: {n_cycles: 1000}\n";
  const error = configErrorOf(() => planOf(text));
  assert.equal(error.problems.length, 1);
  assert.equal(
    error.problems[0]!.message,
    "200 unique experiments x 1,000 cycles = 200,000 runs, more than the 100,000 runs a study may have",
  );
  assert.equal(error.problems[0]!.path, "execution.n_cycles");
  assert.equal(planOf(text.replace("n_cycles: 1000", "n_cycles: 500")).runs.length, 100_000);
});

Deno.test("planStudy() counts the runs a --cycles override asks for against the same limit", () => {
  const text = "model: m\nsweep:\n  generation.batch_size: {min: 1, max: 200, num: 200}\n";
  const error = configErrorOf(() =>
    planStudy("study.yaml", memoryFiles({ "study.yaml": text }), { execution: { n_cycles: 1000 } })
  );
  assert.match(error.problems[0]!.message, /= 200,000 runs, more than the 100,000 runs/);
});

Deno.test("planStudy() says a number was not finite rather than null", () => {
  const error = configErrorOf(() =>
    planOf("model: m\ngeneration: {batch_size: .nan, max_new_tokens: .inf}\ndataset: {n_prompts: 1e400}\n")
  );
  assert.deepEqual(error.problems.map((p) => `${p.path}: ${p.message}`), [
    "generation.batch_size: expected an integer, found .nan (not a number)",
    "generation.max_new_tokens: expected an integer, found .inf (an infinite number, or one beyond 1.8e308)",
    "dataset.n_prompts: expected an integer, found .inf (an infinite number, or one beyond 1.8e308)",
  ]);
});

Deno.test("planStudy() collapses the same problem found at one place for many values", () => {
  // A pow2 range up to 1e300 printed 1,924 near-identical errors: one or two per power of two over the maximum.
  const error = configErrorOf(() =>
    planOf("model: m\nsweep:\n  generation.batch_size: {pow2: {min: 1, max: 1e300}}\n")
  );
  assert.deepEqual(error.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`), [
    "3:26 generation.batch_size: expected an integer <= 65536, found 131072 (and 1,923 more like it)",
  ]);
});
