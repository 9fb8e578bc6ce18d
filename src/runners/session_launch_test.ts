import assert from "node:assert/strict";
import { experimentSchema } from "../config/experiment_config.ts";
import { APPTAINER_CLIENT_ENV } from "./apptainer_argv.ts";
import { huggingFaceCacheDir } from "./hugging_face_cache_dir.ts";
import type { ConcreteRunner } from "./concrete_runner.ts";
import { type LaunchHost, type SessionLaunch, sessionLaunch } from "./session_launch.ts";

const host = (existing: string[]): LaunchHost => ({
  uid: 1000,
  gid: 1000,
  cwd: "/work",
  huggingFaceCache: "/home/u/.cache/huggingface/hub",
  exists: (path) => existing.includes(path),
});
const options = (h: LaunchHost) => ({
  sessionId: "s1",
  gpuUuids: ["GPU-a"],
  harnessDir: "/opt/llem/engines",
  exchangeDir: "/tmp/x",
  secretsFile: null,
  adapterPath: null,
  host: h,
});

Deno.test("huggingFaceCacheDir() follows HF_HUB_CACHE, then HF_HOME, then the home folder", () => {
  assert.equal(huggingFaceCacheDir({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }), "/c");
  assert.equal(huggingFaceCacheDir({ HF_HOME: "/h" }), "/h/hub");
  assert.equal(huggingFaceCacheDir({ HOME: "/home/u" }), "/home/u/.cache/huggingface/hub");
});

Deno.test("sessionLaunch() mounts a local model folder read-only, or else the Hugging Face cache", () => {
  const local = experimentSchema.parse({ model: "./models/tiny", runner: "docker" });
  const launched = sessionLaunch(local, "docker", options(host(["/work/models/tiny"])));
  assert.deepEqual(launched.readOnlyMounts, ["/work/models/tiny"]);
  assert.ok(launched.argv.includes("/work/models/tiny:/work/models/tiny:ro"));
  assert.equal(launched.image, "huggingface/transformers-pytorch-gpu:4.46.3");
  assert.deepEqual(launched.afterKill, ["docker", "rm", "--force", "llem-s1"]);

  const hub = experimentSchema.parse({ model: "org/model" });
  const cached = sessionLaunch(hub, "docker", options(host(["/home/u/.cache/huggingface/hub"])));
  assert.deepEqual(cached.readOnlyMounts, ["/home/u/.cache/huggingface/hub"]);
  assert.ok(cached.argv.includes("HF_HUB_CACHE=/home/u/.cache/huggingface/hub"));
});

Deno.test("sessionLaunch() runs a process under the configured Python, with no container to remove", () => {
  const config = experimentSchema.parse({
    model: "org/model",
    runner: "process",
    python: "/venv/bin/python",
  });
  const launched = sessionLaunch(config, "process", options(host([])));
  assert.equal(launched.argv[0], "/venv/bin/python");
  assert.equal(launched.afterKill, null);
  assert.equal(launched.env.CUDA_VISIBLE_DEVICES, "GPU-a");
});

Deno.test("sessionLaunch() uses the configured image and never root inside a container", () => {
  const config = experimentSchema.parse({
    model: "org/m",
    engine: "vllm",
    image: "my/vllm:1",
    shm_size: "16g",
  });
  const launched = sessionLaunch(config, "podman", {
    ...options(host([])),
    host: { ...host([]), uid: 0, gid: 0 },
  });
  assert.equal(launched.image, "my/vllm:1");
  assert.ok(launched.argv.includes("65534:65534"));
  assert.ok(launched.argv.includes("16g"));
});

Deno.test("sessionLaunch() applies the config's memory_limit and labels the container with its owner", () => {
  const config = experimentSchema.parse({ model: "org/m", runner: "docker", memory_limit: "48g" });
  const owner = { dir: "/tmp/llem-1000/h-1-abcd1234", hostname: "h" };
  const launched = sessionLaunch(config, "docker", { ...options(host([])), owner });
  assert.equal(launched.argv[launched.argv.indexOf("--memory") + 1], "48g");
  assert.ok(launched.argv.includes("io.llem.owner=/tmp/llem-1000/h-1-abcd1234"));
  const unlimited = sessionLaunch(experimentSchema.parse({ model: "org/m" }), "docker", options(host([])));
  assert.ok(!unlimited.argv.includes("--memory"));
});

Deno.test("sessionLaunch() under apptainer gives the container's variables by APPTAINERENV_ and a clean client", () => {
  const config = experimentSchema.parse({ model: "org/model", runner: "apptainer", image: "/sif/vllm.sif" });
  const launched = sessionLaunch(config, "apptainer", {
    ...options(host(["/home/u/.cache/huggingface/hub"])),
    workDir: "/tmp/llem-0/o/workdir-1",
  });
  assert.equal(launched.image, "/sif/vllm.sif");
  assert.equal(launched.argv[launched.argv.indexOf("--workdir") + 1], "/tmp/llem-0/o/workdir-1");
  assert.equal(launched.env.APPTAINERENV_CUDA_VISIBLE_DEVICES, "GPU-a");
  assert.equal(launched.env.APPTAINERENV_HF_HUB_CACHE, "/home/u/.cache/huggingface/hub");
  assert.equal(launched.env.APPTAINERENV_HF_HUB_OFFLINE, "1");
  assert.deepEqual(launched.inherit, APPTAINER_CLIENT_ENV);
  for (const runner of ["docker", "podman", "process"] as const) {
    assert.equal(sessionLaunch(config, runner, options(host([]))).inherit, null, runner);
  }
});

Deno.test("sessionLaunch() runs singularity, with SINGULARITYENV_ variables, where preflight chose it", () => {
  const config = experimentSchema.parse({ model: "org/model", runner: "apptainer", image: "/sif/vllm.sif" });
  const launched = sessionLaunch(config, "apptainer", { ...options(host([])), program: "singularity" });
  assert.equal(launched.argv[0], "singularity");
  assert.equal(launched.env.SINGULARITYENV_CUDA_VISIBLE_DEVICES, "GPU-a");
  assert.equal(launched.env.APPTAINERENV_CUDA_VISIBLE_DEVICES, undefined);
});

/** The variables a session's engine starts with, read from how each runner passes them. */
function engineEnv(launched: SessionLaunch, runner: ConcreteRunner): Record<string, string> {
  if (runner === "process") return launched.env;
  if (runner === "apptainer") {
    return Object.fromEntries(
      Object.entries(launched.env).map(([name, value]) => [name.replace(/^APPTAINERENV_/, ""), value]),
    );
  }
  const pairs = launched.argv.flatMap((arg, i) => launched.argv[i - 1] === "--env" ? [arg] : []);
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

/** What each runner does to the network: Docker and Podman's --network, Apptainer's --net --network. */
function network(launched: SessionLaunch): string {
  const at = launched.argv.indexOf("--network");
  if (at < 0) return "host";
  return launched.argv[at - 1] === "--net" || launched.argv[0] === "docker" || launched.argv[0] === "podman"
    ? launched.argv[at + 1]!
    : "ignored";
}

Deno.test("sessionLaunch() keeps every runner's engine offline unless allow_network: no network, offline switches", () => {
  const runners: ConcreteRunner[] = ["process", "docker", "podman", "apptainer"];
  for (const runner of runners) {
    const offline = sessionLaunch(
      experimentSchema.parse({ model: "org/m", engine: "vllm" }),
      runner,
      options(host([])),
    );
    const env = engineEnv(offline, runner);
    assert.equal(env.HF_HUB_OFFLINE, "1", runner);
    assert.equal(env.TRANSFORMERS_OFFLINE, "1", runner);
    assert.equal(env.VLLM_NO_USAGE_STATS, "1", `${runner}: vLLM's usage statistics`);
    assert.equal(env.DO_NOT_TRACK, "1", runner);
    // A local process shares the host's network: the switches are all llem can do there.
    assert.equal(network(offline), runner === "process" ? "host" : "none", runner);

    const online = sessionLaunch(
      experimentSchema.parse({ model: "org/m", engine: "vllm", allow_network: true }),
      runner,
      options(host([])),
    );
    const onlineEnv = engineEnv(online, runner);
    for (const name of ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "VLLM_NO_USAGE_STATS", "DO_NOT_TRACK"]) {
      assert.equal(onlineEnv[name], undefined, `${runner}: ${name} with allow_network`);
    }
    assert.equal(network(online), runner === "docker" || runner === "podman" ? "bridge" : "host", runner);
  }
  // Engines that send nothing get only the Hugging Face switches.
  const transformers = sessionLaunch(
    experimentSchema.parse({ model: "org/m" }),
    "process",
    options(host([])),
  );
  assert.equal(transformers.env.VLLM_NO_USAGE_STATS, undefined);
});
