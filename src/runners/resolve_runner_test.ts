import assert from "node:assert/strict";
import type { RuntimeProbe } from "./probe_runtimes.ts";
import { resolveAutoRunner } from "./resolve_runner.ts";

const probe = (runtime: RuntimeProbe["runtime"], over: Partial<RuntimeProbe> = {}): RuntimeProbe => ({
  runtime,
  installed: true,
  usable: true,
  version: "1",
  nvidiaSupport: runtime === "docker" ? true : null,
  detail: "",
  ...over,
});

Deno.test("resolveAutoRunner() prefers Docker with the NVIDIA runtime", () => {
  assert.equal(resolveAutoRunner([probe("docker"), probe("apptainer")]).runner, "docker");
});

Deno.test("resolveAutoRunner() falls back to Apptainer, then a process, saying why", () => {
  assert.deepEqual(resolveAutoRunner([probe("docker", { nvidiaSupport: false }), probe("apptainer")]), {
    runner: "apptainer",
    reason: "Docker has no NVIDIA runtime; Apptainer is available",
  });
  assert.deepEqual(
    resolveAutoRunner([
      probe("docker", { usable: false }),
      probe("apptainer", { installed: false, usable: false }),
    ]),
    {
      runner: "process",
      reason: "the Docker daemon does not answer and Apptainer is not available: running the engine locally",
    },
  );
  assert.equal(
    resolveAutoRunner([]).reason,
    "Docker is not installed and Apptainer is not available: running the engine locally",
  );
});
