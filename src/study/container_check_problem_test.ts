import assert from "node:assert/strict";
import type { ProgramResult } from "../runners/run_program.ts";
import { containerCheckProblem } from "./container_check_problem.ts";

const IMAGE = "llem-test-engine:1";
const UUIDS = ["GPU-aaa"];

/** A check container that exited with `code` and said `stderr` (the runtimes' own words, as captured). */
function failed(code: number, stderr: string, stdout = ""): ProgramResult {
  return { code, stdout, stderr, timedOut: false, startError: null };
}

Deno.test("containerCheckProblem() is null for a check container that ran", () => {
  assert.equal(containerCheckProblem("podman", { image: IMAGE, uuids: UUIDS, result: failed(0, "") }), null);
});

Deno.test("containerCheckProblem() says which GPU setup is missing, in the runtime's own words", () => {
  // Podman 4.3.1, for a UUID no CDI spec names.
  const podman = containerCheckProblem("podman", {
    image: IMAGE,
    uuids: UUIDS,
    result: failed(126, "Error: setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=GPU-aaa\n"),
  });
  assert.equal(podman?.check, "container_gpus");
  assert.equal(
    podman?.message,
    "podman cannot give a container GPUs GPU-aaa: setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=GPU-aaa",
  );
  assert.match(podman!.fix, /nvidia-ctk cdi generate/);
  // Docker without the NVIDIA Container Toolkit.
  const docker = containerCheckProblem("docker", {
    image: IMAGE,
    uuids: UUIDS,
    result: failed(
      125,
      'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n',
    ),
  });
  assert.equal(docker?.check, "container_gpus");
  assert.match(docker!.fix, /nvidia-ctk runtime configure --runtime=docker/);
});

Deno.test("containerCheckProblem() names the missing init, which every session needs, and how to install it", () => {
  // Podman 4.3.1 on Debian with tini (docker.io's) and without catatonit: sessions run with --init.
  const problem = containerCheckProblem("podman", {
    image: IMAGE,
    uuids: UUIDS,
    result: failed(
      125,
      "Error: container-init binary not found on the host: stat /usr/libexec/podman/catatonit: no such file or directory\n",
    ),
  });
  assert.equal(problem?.check, "runner");
  assert.equal(
    problem?.message,
    "podman cannot start a container with --init: container-init binary not found on the host: " +
      "stat /usr/libexec/podman/catatonit: no such file or directory",
  );
  assert.match(problem!.fix, /install catatonit .*init_path/);
});

Deno.test("containerCheckProblem() reports an old Python, and anything else with the command to try", () => {
  const old = containerCheckProblem("docker", {
    image: IMAGE,
    uuids: UUIDS,
    result: failed(9, "", "python 3.8\n"),
  });
  assert.deepEqual(old, {
    check: "image",
    message: "the Python in image llem-test-engine:1 is older than 3.9 (python 3.8)",
    fix: "use an image with Python 3.9 or newer",
  });
  const other = containerCheckProblem("podman", {
    image: IMAGE,
    uuids: UUIDS,
    result: { code: null, stdout: "", stderr: "", timedOut: true, startError: null },
  });
  assert.equal(
    other?.message,
    "a test container of image llem-test-engine:1 with GPUs GPU-aaa failed: it did not finish within 120 s",
  );
  assert.match(other!.fix, /podman run --rm --entrypoint python3 llem-test-engine:1 -V/);
});
