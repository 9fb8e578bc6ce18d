import assert from "node:assert/strict";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { chooseImageRuntime } from "./choose_image_runtime.ts";
import type { RuntimeProbe } from "./probe_runtimes.ts";

const probe = (runtime: RuntimeProbe["runtime"], over: Partial<RuntimeProbe> = {}): RuntimeProbe => ({
  runtime,
  installed: true,
  usable: true,
  version: "1",
  nvidiaSupport: null,
  detail: "",
  ...over,
});

Deno.test("chooseImageRuntime() takes Docker when its daemon answers, else Podman, else the one asked for", () => {
  assert.equal(chooseImageRuntime([probe("docker"), probe("podman")], null), "docker");
  assert.equal(chooseImageRuntime([probe("docker", { usable: false }), probe("podman")], null), "podman");
  assert.equal(chooseImageRuntime([probe("docker"), probe("podman")], "podman"), "podman");
  // Apptainer writes no Docker archives: never chosen.
  assert.throws(() => chooseImageRuntime([probe("apptainer")], null), NotReadyError);
});

Deno.test("chooseImageRuntime() says what each runtime lacks when none can (exit 3)", () => {
  const probes = [
    probe("docker", { usable: false, detail: "the Docker daemon does not answer: timed out" }),
    probe("podman", { installed: false, usable: false, detail: "podman: it is not installed (not on PATH)" }),
  ];
  assert.throws(() => chooseImageRuntime(probes, null), (error: NotReadyError) => {
    assert.ok(error instanceof NotReadyError);
    assert.equal(
      error.message,
      "no container runtime to save or load images with " +
        "(docker: the Docker daemon does not answer: timed out; podman: not installed)",
    );
    assert.match(error.hint ?? "", /start the Docker daemon/);
    return true;
  });
  assert.throws(() => chooseImageRuntime(probes, "docker"), (error: NotReadyError) => {
    assert.equal(
      error.message,
      "docker cannot save or load images (docker: the Docker daemon does not answer: timed out)",
    );
    assert.match(error.hint ?? "", /--runtime/);
    return true;
  });
});
