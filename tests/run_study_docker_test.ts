/**
 * `llem run` end to end through the docker runner: llem against the NVML stand-in on the host, the
 * harness and the test engine in the test image built by scripts/ci_docker.sh. Docker's `--gpus` path
 * needs an NVIDIA Container Toolkit hook on dockerd's PATH: the real one, or the stand-in that
 * ci_docker.sh gives a daemon it starts (it mounts nothing, as there is no GPU here). Without Docker, the
 * image or `--gpus`, the tests show as skipped.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LLEM_LABEL } from "../src/runners/harness_launch.ts";
import { runProgram } from "../src/runners/run_program.ts";
import { dockerTest } from "./docker_test_image.ts";
import { experimentYaml, manifestOf, POWER_W, resultOf, run, studyDirs, withStudy } from "./study_fixture.ts";

const UUID = "GPU-0badc0de-1111-2222-3333-444455556666";
const SCENARIO = `gpu.0.uuid = ${UUID}\ngpu.0.power = const:${POWER_W}\n`;

/** The fast test experiment, in a container of `image`; the engine checks the GPUs it was given. */
function dockerYaml(model: string, image: string, engine: string): string {
  return experimentYaml(model, "", engine).replace("runner: process", `runner: docker\nimage: ${image}`);
}

/** Containers carrying llem's label, running or not (none may outlive a study). */
async function llemContainers(): Promise<string[]> {
  const listed = await runProgram(
    ["docker", "ps", "--all", "--quiet", "--filter", `label=${LLEM_LABEL}`],
    { timeoutMs: 30_000 },
  );
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout.split("\n").filter(Boolean);
}

dockerTest(
  "llem run measures a study in Docker: the GPUs by UUID, one session, user-owned files",
  async (image) => {
    const before = await llemContainers();
    await withStudy((model) => `
name: docker
${
      dockerYaml(
        model,
        image,
        `{ttft_s: 0.005, token_s: 0.005, expect_env: {NVIDIA_VISIBLE_DEVICES: "${UUID}"}}`,
      )
    }
sweep:
  generation.max_new_tokens: [4, 8]
`, async (study) => {
      const result = await run(["run", study.file, "-o", "results", "--json"], study);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(
        events.filter((e) => e.type === "phase" && e.phase === "loading").length,
        1,
        "one container",
      );
      const [dir] = studyDirs(study);
      const manifest = manifestOf(dir!);
      assert.equal(manifest.status, "completed");
      assert.equal(manifest.summary.completed, 2);
      for (const entry of manifest.experiments) {
        const record = resultOf(dir!, entry.dir);
        assert.equal(record.environment?.runner, "docker");
        assert.equal(record.environment?.image, image);
        assert.deepEqual(record.environment?.gpus.map((g) => g.uuid), [UUID]);
        const window = record.total_inference_time_sec;
        assert.ok(
          Math.abs(record.total_energy_j - POWER_W * window) <= POWER_W * 0.010 + 1e-3 * POWER_W * window,
        );
        // Everything in a run's folder belongs to whoever ran llem, not to root or the container's user.
        for (const file of Deno.readDirSync(join(dir!, entry.dir))) {
          assert.equal(Deno.statSync(join(dir!, entry.dir, file.name)).uid, Deno.uid(), file.name);
        }
      }
    }, SCENARIO);
    assert.deepEqual(await llemContainers(), before, "no container outlives the study");
  },
  { gpus: true },
);

dockerTest(
  "an engine killed for memory in Docker fails its run; a fresh container finishes the study",
  async (image) => {
    const before = await llemContainers();
    await withStudy((model) => `
name: docker-oom
${dockerYaml(model, image, "{ttft_s: 0.005, token_s: 0.005, fail: oom, fail_on_window: 3}")}
sweep:
  generation.max_new_tokens: [4, 6, 8]
`, async (study) => {
      const result = await run(["run", study.file, "-o", "results"], study);
      assert.equal(result.code, 4, result.stderr + result.stdout);
      const [dir] = studyDirs(study);
      const manifest = manifestOf(dir!);
      assert.deepEqual(manifest.experiments.map((r) => r.status), ["completed", "failed", "completed"]);
      assert.equal(manifest.experiments[1]!.error?.type, "EngineKilled");
      assert.match(manifest.experiments[1]!.error?.message ?? "", /137/);
      resultOf(dir!, manifest.experiments[0]!.dir);
      resultOf(dir!, manifest.experiments[2]!.dir);
    }, SCENARIO);
    assert.deepEqual(await llemContainers(), before, "no container outlives the study");
  },
  { gpus: true },
);
