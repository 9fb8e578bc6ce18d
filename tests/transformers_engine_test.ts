/**
 * The real transformers engine, end to end: `llem run` through the process runner and the NVML stand-in,
 * with engines/transformers/adapter.py (no adapter override) loading a tiny model that
 * scripts/make_tiny_model.py builds, in the CPU PyTorch environment of scripts/engines/transformers_venv.sh
 * (which .ci/run makes). Without that environment the tests skip, visibly, unless LLEM_REQUIRE_ENGINES=1
 * (.ci/run sets it), when they fail instead. The Docker variant runs the same engine in a container of the
 * image scripts/engines/transformers_image.sh makes (the Docker test image with that environment inside),
 * and skips, visibly, where Docker or that image is not there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStudyResults } from "../src/study/study_results.ts";
import { containerTest, probeTestRuntime } from "./container_test_runtime.ts";
import { parityTool } from "./parity_tool.ts";
import { manifestOf, resultOf, run, type Study, studyDirs, withStudy } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;

const python = parityTool("transformers_venv.sh", "scripts/engines");
const required = Deno.env.get("LLEM_REQUIRE_ENGINES") === "1";
const skip = python === null && !required;
const label = skip
  ? "SKIPPED (no transformers environment: bash scripts/engines/transformers_venv.sh): "
  : "";

const N_PROMPTS = 6;
const INPUT_LEN = 16;
const MAX_NEW = 8;

/** The real engine's study: dtype x batch size with per-token profiling, then a model that cannot load. */
function realEngineStudy(model: string): string {
  return `
name: real-transformers
model: ${model}
runner: process
python: ${python}
dataset: {n_prompts: ${N_PROMPTS}, input_len_tokens: ${INPUT_LEN}}
generation: {max_new_tokens: ${MAX_NEW}, ignore_eos: true}
measurement:
  sample_interval_ms: 10
  baseline: {enabled: true, duration_seconds: 5, spot_check_seconds: 1}
  warmup: {mode: converged, n_requests: 2, max_requests: 6, window: 3, cv_threshold: 0.5}
  thermal_floor: {enabled: false}
  latency_profiling: true
sweep:
  generation.dtype: [float32, bfloat16]
  generation.batch_size: [1, 4]
experiments:
  - model: ${model}-broken
`;
}

/** The tiny model, built by the real transformers, and beside it a copy whose config names no architecture. */
async function makeModels(study: Study): Promise<void> {
  const model = join(study.dir, "tiny-model");
  Deno.removeSync(model, { recursive: true });
  const made = await new Deno.Command(python!, {
    args: [`${repo}scripts/make_tiny_model.py`, model],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));
  const broken = `${model}-broken`;
  Deno.mkdirSync(broken);
  for (const entry of Deno.readDirSync(model)) {
    Deno.copyFileSync(join(model, entry.name), join(broken, entry.name));
  }
  Deno.writeTextFileSync(join(broken, "config.json"), '{"model_type": "no-such-architecture"}');
}

Deno.test({
  name:
    `${label}the real transformers engine measures a dtype x batch-size study on the CPU, exact to the token`,
  ignore: skip,
  async fn() {
    assert.ok(
      python,
      "LLEM_REQUIRE_ENGINES=1 but no transformers environment: bash scripts/engines/transformers_venv.sh",
    );
    await withStudy(realEngineStudy, async (study) => {
      delete study.env.LLEM_ADAPTER_OVERRIDE;
      await makeModels(study);
      const { code, stdout, stderr } = await run(["run", study.file, "-o", "results"], study);
      const [dir] = studyDirs(study);
      assert.ok(dir, `no study directory\n${stdout}\n${stderr}`);
      const manifest = manifestOf(dir);
      const completed = manifest.experiments.filter((entry) => entry.status === "completed");
      const failed = manifest.experiments.filter((entry) => entry.status === "failed");
      assert.equal(completed.length, 4, `${stdout}\n${stderr}`);
      assert.equal(failed.length, 1, `${stdout}\n${stderr}`);
      assert.notEqual(code, 0, "a failed run is not a clean exit");

      const results = openStudyResults(dir);
      for (const entry of completed) {
        const result = resultOf(dir, entry.dir);
        const config = JSON.parse(Deno.readTextFileSync(join(dir, entry.dir, "effective_config.json")));
        const { dtype, batch_size } = config.generation;
        const where = `${entry.dir} (${dtype}, batch ${batch_size})`;
        assert.equal(result.engine, "transformers");
        assert.match(result.engine_version ?? "", /^5\./, where);
        assert.equal(result.input_tokens, N_PROMPTS * INPUT_LEN, where);
        assert.equal(result.output_tokens, N_PROMPTS * MAX_NEW, where);
        const observed = result.environment!.engine_observed_params as Record<string, unknown>;
        assert.equal(observed.dtype, dtype, where);
        assert.equal(observed.device, "cpu", where);
        assert.equal(result.extended_metrics!.batch.num_batches, Math.ceil(N_PROMPTS / batch_size), where);

        // Streaming capture: every token of every request timed, TTFT and ITL from those times.
        const latency = result.latency_stats!;
        assert.equal(latency.profiled, true, where);
        assert.equal(latency.ttft_samples, N_PROMPTS, where);
        assert.equal(latency.itl_samples, N_PROMPTS * (MAX_NEW - 1), where);
        assert.equal(latency.measurement_mode, "true_streaming", where);
        const warmup = result.warmup_result!;
        assert.equal(warmup.mode, "converged", where);
        assert.ok(warmup.iterations_completed >= 2 && warmup.iterations_completed <= 6, where);

        // The per-request records are the ones the result was computed from.
        const requests = await results.requests(entry.dir);
        assert.equal(requests.length, N_PROMPTS, where);
        for (const request of requests) {
          assert.equal(request.input_tokens, INPUT_LEN, where);
          assert.equal(request.output_tokens, MAX_NEW, where);
          assert.equal(request.n_token_times, MAX_NEW, where);
        }
        const ttfts = requests.map((request) => Number(request.ttft_ms));
        const meanTtft = ttfts.reduce((sum, value) => sum + value, 0) / ttfts.length;
        assert.ok(Math.abs(meanTtft - latency.ttft_mean_ms!) < 1e-6, where);
      }

      const [broken] = failed;
      assert.match(broken!.dir, /broken/);
      assert.ok(broken!.error, "the failed run says why");
      const log = Deno.readTextFileSync(join(dir, "failed-runs", `${broken!.dir}.log`));
      assert.match(log, /no-such-architecture/);
    });
  },
});

containerTest(
  "the real transformers engine measures a run in a Docker container, exact to the token",
  async ({ image }) => {
    await withStudy((model) => `
model: ${model}
runner: docker
image: ${image}
dataset: {n_prompts: ${N_PROMPTS}, input_len_tokens: ${INPUT_LEN}}
generation: {batch_size: 4, max_new_tokens: ${MAX_NEW}, ignore_eos: true, dtype: float32}
measurement:
  sample_interval_ms: 10
  baseline: {enabled: false}
  warmup: {n_requests: 1}
  thermal_floor: {enabled: false}
  latency_profiling: true
`, async (study) => {
      delete study.env.LLEM_ADAPTER_OVERRIDE;
      await makeModels(study);
      const model = join(study.dir, "tiny-model");
      if (Deno.uid() === 0) {
        // save_pretrained writes the weights 0600, and a container never runs as root: preflight says so.
        const refused = await run(["run", study.file, "-o", "results"], study);
        assert.equal(refused.code, 3, refused.stderr);
        assert.match(refused.stderr, /model\.safetensors.* not readable by the container's user 65534/);
      }
      for (const entry of Deno.readDirSync(model)) Deno.chmodSync(join(model, entry.name), 0o644);
      const { code, stdout, stderr } = await run(["run", study.file, "-o", "results"], study);
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      const [dir] = studyDirs(study);
      const [entry] = manifestOf(dir!).experiments;
      const result = resultOf(dir!, entry!.dir);
      assert.equal(result.environment!.runner, "docker");
      assert.equal(result.environment!.image, image);
      assert.match(result.engine_version ?? "", /^5\./);
      assert.equal(result.output_tokens, N_PROMPTS * MAX_NEW);
      assert.equal(result.latency_stats!.itl_samples, N_PROMPTS * (MAX_NEW - 1));
      assert.equal((result.environment!.engine_observed_params as Record<string, unknown>).device, "cpu");
    });
  },
  {
    gpus: true,
    runtimes: [
      await probeTestRuntime("docker", {
        tagFile: "build/docker_transformers_image",
        script: "scripts/engines/transformers_image.sh",
      }),
    ],
  },
);
