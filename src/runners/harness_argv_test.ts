import assert from "node:assert/strict";
import {
  apptainerArgv,
  containerCheckArgv,
  containerRemoveArgv,
  containerUser,
  dockerArgv,
  type HarnessLaunch,
  podmanArgv,
  processArgv,
} from "./harness_argv.ts";

const launch: HarnessLaunch = {
  engine: "vllm",
  harnessDir: "/opt/llem/engines",
  gpuUuids: ["GPU-aaa", "GPU-bbb"],
  readOnlyMounts: ["/data/models/qwen", "/home/u/.cache/huggingface"],
  exchangeDir: "/tmp/llem-x",
  allowNetwork: false,
  sessionId: "s1",
  env: { LLEM_SEED: "7" },
  secretsFile: "/run/user/1000/llem-s1/secrets.env",
};
const container = {
  image: "vllm/vllm-openai:v0.9.0",
  user: "1000:1000",
  shmSize: "8g",
  containerName: "llem-s1",
};

/** The value after a flag, for every occurrence. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]!] : []));
}

Deno.test("processArgv() runs the harness under the chosen Python with GPUs by UUID in PCI order", () => {
  const { argv, env } = processArgv(launch, "/venv/bin/python");
  assert.deepEqual(argv, ["/venv/bin/python", "/opt/llem/engines/harness.py", "--engine", "vllm"]);
  assert.equal(env.CUDA_VISIBLE_DEVICES, "GPU-aaa,GPU-bbb");
  assert.equal(env.CUDA_DEVICE_ORDER, "PCI_BUS_ID");
  assert.equal(env.HF_HUB_OFFLINE, "1");
  assert.equal(env.LLEM_SEED, "7");
  assert.equal(env.LLEM_SECRETS_FILE, "/run/user/1000/llem-s1/secrets.env");
  assert.equal(processArgv({ ...launch, allowNetwork: true }).env.HF_HUB_OFFLINE, undefined);
  assert.deepEqual(processArgv({ ...launch, adapterPath: "/t/adapter.py" }).argv.slice(-2), [
    "--adapter-path",
    "/t/adapter.py",
  ]);
});

Deno.test("dockerArgv() confines the container: no network, the user's ids, no capabilities, read-only mounts", () => {
  const argv = dockerArgv(launch, container);
  assert.deepEqual(argv.slice(0, 5), ["docker", "run", "--rm", "--interactive", "--init"]);
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

Deno.test("containerUser() keeps the invoking user's ids but never runs the engine as root", () => {
  assert.equal(containerUser(1000, 1001), "1000:1001");
  assert.equal(containerUser(0, 0), "65534:65534");
  assert.equal(containerUser(0, 1000), "65534:65534");
});

Deno.test("containerRemoveArgv() force-removes a session's container by name", () => {
  assert.deepEqual(containerRemoveArgv("podman", "llem-s1"), ["podman", "rm", "--force", "llem-s1"]);
});

Deno.test("dockerArgv() mounts a test adapter read-only and points the harness at it", () => {
  const argv = dockerArgv({ ...launch, adapterPath: "/repo/tests/test_engine/adapter.py" }, container);
  assert.ok(
    values(argv, "--volume").includes("/repo/tests/test_engine/adapter.py:/llem/adapter/adapter.py:ro"),
  );
  assert.deepEqual(argv.slice(-2), ["--adapter-path", "/llem/adapter/adapter.py"]);
});

Deno.test("podmanArgv() names GPUs by CDI and keeps the user's ids", () => {
  const argv = podmanArgv(launch, container);
  assert.equal(argv[0], "podman");
  assert.deepEqual(values(argv, "--device"), ["nvidia.com/gpu=GPU-aaa", "nvidia.com/gpu=GPU-bbb"]);
  assert.deepEqual(values(argv, "--userns"), ["keep-id"]);
  assert.deepEqual(values(argv, "--gpus"), []);
  assert.ok(argv.includes("--init"));
});

Deno.test("containerCheckArgv() asks for the session's GPUs, user and Python, with no network", () => {
  const docker = containerCheckArgv(
    "docker",
    "img:1",
    ["GPU-aaa", "GPU-bbb"],
    "1000:1000",
    "/venv/bin/python",
  );
  assert.deepEqual(docker.slice(0, 3), ["docker", "run", "--rm"]);
  assert.deepEqual(values(docker, "--gpus"), ['"device=GPU-aaa,GPU-bbb"']);
  assert.deepEqual(values(docker, "--network"), ["none"]);
  assert.deepEqual(values(docker, "--user"), ["1000:1000"]);
  assert.deepEqual(values(docker, "--entrypoint"), ["/venv/bin/python"]);
  assert.equal(docker[docker.indexOf("img:1") + 1], "-c");
  const podman = containerCheckArgv("podman", "img:1", ["GPU-aaa"], "1000:1000");
  assert.deepEqual(values(podman, "--device"), ["nvidia.com/gpu=GPU-aaa"]);
  assert.deepEqual(values(podman, "--gpus"), []);
  assert.deepEqual(values(podman, "--entrypoint"), ["python3"]);
});

Deno.test("apptainerArgv() uses exec --nv --containall with the same mounts and GPUs by UUID", () => {
  const argv = apptainerArgv(launch, "/images/vllm.sif");
  assert.deepEqual(argv.slice(0, 5), ["apptainer", "exec", "--nv", "--containall", "--cleanenv"]);
  assert.deepEqual(values(argv, "--bind"), [
    "/opt/llem/engines:/llem/engines:ro",
    "/data/models/qwen:/data/models/qwen:ro",
    "/home/u/.cache/huggingface:/home/u/.cache/huggingface:ro",
    "/tmp/llem-x:/llem/exchange",
    "/run/user/1000/llem-s1/secrets.env:/llem/secrets.env:ro",
  ]);
  assert.ok(values(argv, "--env").includes("CUDA_VISIBLE_DEVICES=GPU-aaa,GPU-bbb"));
  assert.ok(values(argv, "--env").includes("LLEM_SECRETS_FILE=/llem/secrets.env"));
  assert.deepEqual(values(argv, "--network"), ["none"]);
  assert.deepEqual(argv.slice(-5), [
    "/images/vllm.sif",
    "python3",
    "/llem/engines/harness.py",
    "--engine",
    "vllm",
  ]);
});
