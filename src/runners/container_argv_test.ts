import assert from "node:assert/strict";
import { container, launch, values } from "../../tests/harness_launch_fixture.ts";
import { CONTAINER_PIDS_LIMIT, containerRemoveArgv, dockerArgv, podmanArgv } from "./container_argv.ts";
import { containerCheckArgv } from "./readiness_argv.ts";

Deno.test("dockerArgv() confines the container: no network, the user's ids, no capabilities, read-only mounts", () => {
  const argv = dockerArgv(launch, container);
  assert.deepEqual(argv.slice(0, 6), ["docker", "run", "--rm", "--pull", "never", "--interactive"]);
  assert.ok(argv.includes("--init"));
  assert.deepEqual(values(argv, "--gpus"), ['"device=GPU-aaa,GPU-bbb"']);
  assert.deepEqual(values(argv, "--network"), ["none"]);
  assert.deepEqual(values(argv, "--user"), ["1000:1000"]);
  assert.deepEqual(values(argv, "--cap-drop"), ["ALL"]);
  assert.deepEqual(values(argv, "--security-opt"), ["no-new-privileges"]);
  assert.deepEqual(values(argv, "--shm-size"), ["8g"]);
  assert.deepEqual(values(argv, "--label"), ["io.llem.session=s1"]);
  assert.deepEqual(values(argv, "--name"), ["llem-s1"]);
  assert.deepEqual(values(argv, "--volume"), [
    "/opt/llem/engines:/llem/engines:ro",
    "/data/models/qwen:/data/models/qwen:ro",
    "/home/u/.cache/huggingface:/home/u/.cache/huggingface:ro",
    "/tmp/llem-x:/llem/exchange",
    "/run/user/1000/llem-s1/secrets.env:/llem/secrets.env:ro",
  ]);
  assert.deepEqual(values(argv, "--env-file"), []);
  assert.ok(values(argv, "--env").includes("LLEM_SECRETS_FILE=/llem/secrets.env"));
  assert.ok(values(argv, "--env").includes("HF_HUB_OFFLINE=1"));
  assert.ok(values(argv, "--env").includes("LLEM_EXCHANGE_DIR=/llem/exchange"));
  assert.deepEqual(argv.slice(argv.indexOf("--entrypoint")), [
    "--entrypoint",
    "python3",
    "vllm/vllm-openai:v0.9.0",
    "/llem/engines/harness.py",
    "--engine",
    "vllm",
  ]);
});

Deno.test("dockerArgv() allows the network only when asked, and never puts a secret in argv", () => {
  assert.deepEqual(values(dockerArgv({ ...launch, allowNetwork: true }, container), "--network"), ["bridge"]);
  const argv = dockerArgv({ ...launch, env: { ...launch.env } }, container);
  assert.ok(!argv.some((arg) => /HF_TOKEN|hf_[A-Za-z0-9]{10}/.test(arg)));
  const plain = dockerArgv({ ...launch, secretsFile: undefined }, container);
  assert.ok(!plain.some((arg) => arg.includes("secrets")));
});

Deno.test("containerRemoveArgv() force-removes a session's container by name, killing it at once", () => {
  assert.deepEqual(containerRemoveArgv("docker", "llem-s1"), ["docker", "rm", "--force", "llem-s1"]);
  // Podman's rm --force first waits 10 s for SIGTERM; Docker's kills at once, as a session's kill must.
  assert.deepEqual(containerRemoveArgv("podman", "llem-s1"), [
    "podman",
    "rm",
    "--force",
    "--time",
    "0",
    "llem-s1",
  ]);
});

Deno.test("dockerArgv() mounts a test adapter read-only and points the harness at it", () => {
  const argv = dockerArgv({ ...launch, adapterPath: "/repo/engines/test_engine/adapter.py" }, container);
  assert.ok(
    values(argv, "--volume").includes("/repo/engines/test_engine/adapter.py:/llem/adapter/adapter.py:ro"),
  );
  assert.deepEqual(argv.slice(-2), ["--adapter-path", "/llem/adapter/adapter.py"]);
});

Deno.test("podmanArgv() names GPUs by CDI and keeps the user's ids", () => {
  const argv = podmanArgv(launch, container);
  assert.equal(argv[0], "podman");
  assert.deepEqual(values(argv, "--device"), ["nvidia.com/gpu=GPU-aaa", "nvidia.com/gpu=GPU-bbb"]);
  assert.deepEqual(values(argv, "--userns"), ["keep-id"]);
  assert.deepEqual(values(argv, "--user"), ["1000:1000"]);
  assert.deepEqual(values(argv, "--gpus"), []);
  assert.ok(argv.includes("--init"));
  const rootful = podmanArgv(launch, { ...container, host: { uid: 0, gid: 0 } });
  assert.deepEqual(values(rootful, "--userns"), []);
  assert.deepEqual(values(rootful, "--user"), ["65534:65534"]);
});

Deno.test("podmanArgv() keeps /tmp the only tmpfs: Podman's --read-only would add /run and /var/tmp", () => {
  assert.ok(podmanArgv(launch, container).includes("--read-only-tmpfs=false"));
  assert.ok(!dockerArgv(launch, container).some((arg) => arg.startsWith("--read-only-tmpfs")));
});

Deno.test("dockerArgv() and podmanArgv() give a read-only root with a tmpfs /tmp, a pids limit, and a memory limit when set", () => {
  for (const build of [dockerArgv, podmanArgv]) {
    const argv = build(launch, container);
    assert.ok(argv.includes("--read-only"), argv[0]!);
    // exec: compilers (Triton, TorchInductor) load the shared libraries they build in /tmp.
    assert.deepEqual(values(argv, "--tmpfs"), ["/tmp:rw,exec,nosuid,nodev,mode=1777"]);
    assert.deepEqual(values(argv, "--pids-limit"), [String(CONTAINER_PIDS_LIMIT)]);
    assert.deepEqual(values(argv, "--memory"), []);
    const limited = build(launch, { ...container, memoryLimit: "64g" });
    assert.deepEqual(values(limited, "--memory"), ["64g"]);
    assert.deepEqual(values(limited, "--memory-swap"), ["64g"], "no swap beyond the limit");
    // Options come before the image: after it, they would be the harness's arguments.
    assert.ok(limited.indexOf("--memory") < limited.indexOf(container.image));
  }
});

Deno.test("dockerArgv() labels the container with its session and, when known, the llem that owns it", () => {
  const owner = { dir: "/tmp/llem-1000/host-42-abcd1234", hostname: "host" };
  assert.deepEqual(values(dockerArgv({ ...launch, owner }, container), "--label"), [
    "io.llem.session=s1",
    "io.llem.owner=/tmp/llem-1000/host-42-abcd1234",
    "io.llem.host=host",
  ]);
});

Deno.test("dockerArgv(), podmanArgv() and the preflight check never pull: a missing image fails, offline", () => {
  const argvs = [
    dockerArgv(launch, container),
    podmanArgv(launch, container),
    containerCheckArgv("docker", { image: container.image, gpuUuids: [], host: container.host }),
    containerCheckArgv("podman", { image: container.image, gpuUuids: [], host: container.host }),
  ];
  for (const argv of argvs) {
    assert.deepEqual(values(argv, "--pull"), ["never"], argv.join(" "));
    assert.ok(argv.indexOf("--pull") < argv.indexOf(container.image), "an option of run, before the image");
  }
});
