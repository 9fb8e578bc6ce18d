/**
 * What llem says about a container runtime before anything runs, against the real runtimes
 * (tests/container_test_runtime.ts): `llem doctor` names Podman's mode and the GPUs its CDI specs give it
 * (the stand-in spec of scripts/ci_podman.sh here), and warns about a GPU no spec names and about
 * resource limits the runtime ignores; `llem run`'s preflight refuses memory_limit exactly where they are
 * ignored (rootless Podman on cgroups v1). llem runs as the runtime's user, as a user would run it.
 */
import assert from "node:assert/strict";
import { STAND_IN_CDI_SPEC_FILE } from "../scripts/stand_in_cdi_spec.ts";
import {
  asRuntimeUser,
  containerTest,
  limitsDropped,
  standInGpus,
  testRuntimes,
} from "./container_test_runtime.ts";
import { experimentYaml, POWER_W, run, withStudy } from "./study_fixture.ts";

interface DoctorCheck {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

containerTest(
  "llem doctor names Podman's mode and CDI GPUs, and warns of a GPU no CDI spec names and of ignored limits",
  async (runtime) => {
    const [first] = await standInGpus();
    // GPU 0 is the stand-in's own (in the CDI spec); GPU 1 was swapped in after the spec was generated.
    const scenario =
      `gpu_count = 2\ngpu.0.uuid = ${first}\ngpu.1.uuid = GPU-5ca1ab1e-0000-4000-8000-000000000001\n`;
    await withStudy(() => "", async (study) => {
      await asRuntimeUser(runtime, study);
      const doctor = await run(["doctor", "--json"], study);
      const checks = (JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks
        .filter((check) => check.name === "podman");
      const mode = runtime.label === "podman rootless" ? "rootless" : "rootful";
      // 4 GPUs by UUID and by index, and `all`, as nvidia-ctk names them.
      assert.match(checks[0]!.detail, new RegExp(`^\\d+\\.\\d+\\.\\d+ ${mode}, cgroups v[12]; CDI: 9 `));
      assert.ok(checks[0]!.detail.endsWith(`nvidia.com/gpu devices (${STAND_IN_CDI_SPEC_FILE})`));
      const warnings = checks.filter((check) => check.status === "warn").map((check) => check.detail);
      assert.deepEqual(warnings, [
        "GPU 1 (GPU-5ca1ab1e-0000-4000-8000-000000000001) has no CDI device " +
        "nvidia.com/gpu=GPU-5ca1ab1e-0000-4000-8000-000000000001: Podman cannot give it to a container",
        ...(limitsDropped(runtime)
          ? ["rootless on cgroups v1: containers' memory and pids limits are ignored"]
          : []),
      ]);
    }, scenario);
  },
  { gpus: true, runtimes: testRuntimes("podman", "podman rootless") },
);

containerTest(
  "llem run's preflight refuses memory_limit exactly where the runtime would ignore it",
  async (runtime) => {
    const yaml = (model: string) =>
      experimentYaml(model).replace("runner: process", `runner: ${runtime.runtime}\nimage: ${runtime.image}`);
    await withStudy((model) => `${yaml(model)}memory_limit: 1g\n`, async (study) => {
      await asRuntimeUser(runtime, study);
      const result = await run(["run", study.file, "--dry-run"], study);
      if (limitsDropped(runtime)) {
        assert.equal(result.code, 3, result.stderr);
        assert.match(
          result.stderr,
          /error: podman cannot enforce memory_limit 1g here: rootless on cgroups v1: containers' memory and pids limits are ignored\nhint: run llem as root/,
        );
      } else {
        assert.equal(result.code, 0, result.stderr + result.stdout);
      }
    }, `gpu.0.power = const:${POWER_W}\n`);
  },
  { gpus: true },
);
