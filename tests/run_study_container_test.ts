/**
 * `llem run` end to end through the container runners, once per runtime (tests/container_test_runtime.ts):
 * llem against the NVML stand-in on the host, the harness and the test engine in the test image of
 * scripts/ci_test_rootfs.sh. GPUs go by the runtime's real path: Docker's `--gpus`, which needs an NVIDIA
 * Container Toolkit hook on dockerd's PATH (the real one, or the stand-in that scripts/ci_docker.sh gives a
 * daemon it starts: it mounts nothing, as there is no GPU here); Podman's CDI, resolved against the
 * stand-in spec scripts/ci_podman.sh writes for the NVML stand-in's GPUs. For rootless Podman, llem itself
 * runs as the unprivileged user. Where a runtime, its image or its GPUs are missing, the tests show as
 * skipped.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { standInGpuVariable } from "../scripts/stand_in_cdi_spec.ts";
import { LLEM_LABEL } from "../src/runners/harness_launch.ts";
import { runProgram } from "../src/runners/run_program.ts";
import {
  asRuntimeUser,
  containerTest,
  type ContainerTestRuntime,
  runtimeArgv,
  standInGpus,
} from "./container_test_runtime.ts";
import { experimentYaml, manifestOf, POWER_W, resultOf, run, studyDirs, withStudy } from "./study_fixture.ts";

/** The stand-in's first GPU, by its UUID, which both runtimes' stand-in GPU setups hand over. */
async function scenario(): Promise<{ uuid: string; text: string }> {
  const [uuid] = await standInGpus();
  return { uuid: uuid!, text: `gpu.0.uuid = ${uuid}\ngpu.0.power = const:${POWER_W}\n` };
}

/** What the engine's environment holds when the container was given GPU 0 (`uuid`) and no other. */
function gpuEnv(runtime: ContainerTestRuntime, uuid: string): Record<string, string> {
  return runtime.runtime === "docker"
    ? { NVIDIA_VISIBLE_DEVICES: uuid }
    : { NVIDIA_VISIBLE_DEVICES: "void", [standInGpuVariable(0)]: uuid };
}

/** The fast test experiment, in a container of the runtime's test image. */
function containerYaml(model: string, runtime: ContainerTestRuntime, engine: string): string {
  return experimentYaml(model, "", engine).replace(
    "runner: process",
    `runner: ${runtime.runtime}\nimage: ${runtime.image}`,
  );
}

/** Containers carrying llem's label, running or not (none may outlive a study). */
async function llemContainers(runtime: ContainerTestRuntime): Promise<string[]> {
  const listed = await runProgram(
    runtimeArgv(runtime, ["ps", "--all", "--quiet", "--filter", `label=${LLEM_LABEL}`]),
    { timeoutMs: 30_000 },
  );
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout.split("\n").filter(Boolean);
}

containerTest(
  "llem run measures a study in a container: the GPUs by UUID, one session, user-owned files",
  async (runtime) => {
    const before = await llemContainers(runtime);
    const gpu = await scenario();
    const expected = JSON.stringify(gpuEnv(runtime, gpu.uuid));
    await withStudy((model) => `
name: container
${containerYaml(model, runtime, `{ttft_s: 0.005, token_s: 0.005, expect_env: ${expected}}`)}
sweep:
  generation.max_new_tokens: [4, 8]
`, async (study) => {
      await asRuntimeUser(runtime, study);
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
        assert.equal(record.environment?.runner, runtime.runtime);
        assert.equal(record.environment?.image, runtime.image);
        assert.deepEqual(record.environment?.gpus.map((g) => g.uuid), [gpu.uuid]);
        const window = record.total_inference_time_sec;
        assert.ok(
          Math.abs(record.total_energy_j - POWER_W * window) <= POWER_W * 0.010 + 1e-3 * POWER_W * window,
        );
        // Everything in a run's folder belongs to whoever ran llem, not to root or the container's user.
        for (const file of Deno.readDirSync(join(dir!, entry.dir))) {
          assert.equal(Deno.statSync(join(dir!, entry.dir, file.name)).uid, runtime.host.uid, file.name);
        }
      }
    }, gpu.text);
    assert.deepEqual(await llemContainers(runtime), before, "no container outlives the study");
  },
  { gpus: true },
);

containerTest(
  "an engine killed for memory in a container fails its run; a fresh container finishes the study",
  async (runtime) => {
    const before = await llemContainers(runtime);
    const gpu = await scenario();
    await withStudy((model) => `
name: container-oom
${containerYaml(model, runtime, "{ttft_s: 0.005, token_s: 0.005, fail: oom, fail_on_window: 3}")}
sweep:
  generation.max_new_tokens: [4, 6, 8]
`, async (study) => {
      await asRuntimeUser(runtime, study);
      const result = await run(["run", study.file, "-o", "results"], study);
      assert.equal(result.code, 4, result.stderr + result.stdout);
      const [dir] = studyDirs(study);
      const manifest = manifestOf(dir!);
      assert.deepEqual(manifest.experiments.map((r) => r.status), ["completed", "failed", "completed"]);
      assert.equal(manifest.experiments[1]!.error?.type, "EngineKilled");
      assert.match(manifest.experiments[1]!.error?.message ?? "", /137/);
      resultOf(dir!, manifest.experiments[0]!.dir);
      resultOf(dir!, manifest.experiments[2]!.dir);
    }, gpu.text);
    assert.deepEqual(await llemContainers(runtime), before, "no container outlives the study");
  },
  { gpus: true },
);
