import assert from "node:assert/strict";
import { container, launch, values } from "../../tests/harness_launch_fixture.ts";
import { dockerArgv, podmanArgv } from "./container_argv.ts";
import { containerCheckArgv, imageInspectArgv, pythonModuleCheckArgv } from "./readiness_argv.ts";

Deno.test("containerCheckArgv() asks for the session's GPUs, user and Python, with no network", () => {
  const docker = containerCheckArgv("docker", {
    image: "img:1",
    gpuUuids: ["GPU-aaa", "GPU-bbb"],
    host: { uid: 1000, gid: 1000 },
    python: "/venv/bin/python",
  });
  assert.deepEqual(docker.slice(0, 3), ["docker", "run", "--rm"]);
  assert.deepEqual(values(docker, "--gpus"), ['"device=GPU-aaa,GPU-bbb"']);
  assert.deepEqual(values(docker, "--network"), ["none"]);
  assert.deepEqual(values(docker, "--user"), ["1000:1000"]);
  assert.deepEqual(values(docker, "--entrypoint"), ["/venv/bin/python"]);
  assert.equal(docker[docker.indexOf("img:1") + 1], "-c");
  const podman = containerCheckArgv("podman", {
    image: "img:1",
    gpuUuids: ["GPU-aaa"],
    host: { uid: 1000, gid: 1000 },
  });
  assert.deepEqual(values(podman, "--device"), ["nvidia.com/gpu=GPU-aaa"]);
  assert.deepEqual(values(podman, "--gpus"), []);
  assert.deepEqual(values(podman, "--entrypoint"), ["python3"]);
});

Deno.test("pythonModuleCheckArgv() asks Python whether the engine's package can be found", () => {
  const [python, flag, code] = pythonModuleCheckArgv("/venv/bin/python", "vllm");
  assert.deepEqual([python, flag], ["/venv/bin/python", "-c"]);
  assert.match(code!, /find_spec\("vllm"\) is None/);
  assert.deepEqual(pythonModuleCheckArgv("python3", null), ["python3", "-c", "import sys"]);
});

Deno.test("imageInspectArgv() looks the image up in the runtime's local store", () => {
  assert.deepEqual(imageInspectArgv("podman", "img:1"), ["podman", "image", "inspect", "img:1"]);
});

Deno.test("containerCheckArgv() confines and labels the check container like a session's, for the reaper", () => {
  const argv = containerCheckArgv("docker", {
    image: "img:1",
    gpuUuids: ["GPU-aaa"],
    host: { uid: 1000, gid: 1000 },
    name: "llem-check-1",
    owner: { dir: "/tmp/llem-1000/host-42-abcd1234", hostname: "host" },
  });
  assert.deepEqual(values(argv, "--name"), ["llem-check-1"]);
  assert.deepEqual(values(argv, "--label"), [
    "io.llem.session=llem-check-1",
    "io.llem.owner=/tmp/llem-1000/host-42-abcd1234",
    "io.llem.host=host",
  ]);
  assert.ok(argv.includes("--read-only"));
  assert.ok(argv.indexOf("--read-only") < argv.indexOf("img:1"));
});

Deno.test("containerCheckArgv() runs the check container as a session's runs: init, user, no privileges, limits", () => {
  // A check that passes where a session then fails proves nothing: Debian's podman without catatonit
  // passed a check without --init, and every session then failed with "container-init binary not found".
  const flags = [
    "--init",
    "--user",
    "--userns",
    "--cap-drop",
    "--security-opt",
    "--shm-size",
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs",
    "--pids-limit",
    "--memory",
    "--memory-swap",
  ];
  for (const [runtime, build] of [["docker", dockerArgv], ["podman", podmanArgv]] as const) {
    for (const host of [{ uid: 1000, gid: 1000 }, { uid: 0, gid: 0 }]) {
      const options = { ...container, host, memoryLimit: "64g" };
      const session = build(launch, options);
      const check = containerCheckArgv(runtime, {
        image: container.image,
        gpuUuids: launch.gpuUuids,
        host,
        shmSize: options.shmSize,
        memoryLimit: options.memoryLimit,
      });
      for (const flag of flags) {
        assert.deepEqual(values(check, flag), values(session, flag), `${runtime} ${host.uid} ${flag}`);
        assert.equal(check.includes(flag), session.includes(flag), `${runtime} ${host.uid} ${flag}`);
      }
    }
  }
});
