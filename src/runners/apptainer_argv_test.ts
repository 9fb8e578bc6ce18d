import assert from "node:assert/strict";
import { launch, values } from "../../tests/harness_launch_fixture.ts";
import { APPTAINER_CLIENT_ENV, apptainerArgv } from "./apptainer_argv.ts";
import { childEnv } from "./spawn_process.ts";

const IMAGE = "/images/vllm.sif";

/** Apptainer's options: everything between `exec` and the image (after it come the harness's arguments). */
function optionsOf(argv: string[]): string[] {
  return argv.slice(2, argv.indexOf(IMAGE));
}

Deno.test("apptainerArgv() runs exec with --nv, --containall and --cleanenv, before the image", () => {
  const { argv } = apptainerArgv(launch, { image: IMAGE });
  assert.deepEqual(argv.slice(0, 2), ["apptainer", "exec"]);
  for (const flag of ["--nv", "--containall", "--cleanenv"]) {
    assert.ok(optionsOf(argv).includes(flag), `${flag} is an option of exec`);
  }
  assert.deepEqual(argv.slice(argv.indexOf(IMAGE)), [
    IMAGE,
    "python3",
    "/llem/engines/harness.py",
    "--engine",
    "vllm",
  ]);
});

Deno.test("apptainerArgv() isolates GPUs by APPTAINERENV_CUDA_VISIBLE_DEVICES: --nv exposes every GPU", () => {
  const { argv, env } = apptainerArgv(launch, { image: IMAGE });
  assert.equal(env.APPTAINERENV_CUDA_VISIBLE_DEVICES, "GPU-aaa,GPU-bbb");
  assert.equal(env.APPTAINERENV_CUDA_DEVICE_ORDER, "PCI_BUS_ID");
  // No --env: one way in for variables, and none of them on a command line others can read in ps.
  assert.deepEqual(values(argv, "--env"), []);
  assert.ok(!argv.some((arg) => arg.includes("GPU-aaa")));
  const one = apptainerArgv({ ...launch, gpuUuids: ["GPU-ccc"] }, { image: IMAGE });
  assert.equal(one.env.APPTAINERENV_CUDA_VISIBLE_DEVICES, "GPU-ccc");
});

Deno.test("apptainerArgv() binds the harness, model, cache and secrets read-only, only the exchange folder writable", () => {
  const { argv } = apptainerArgv(launch, { image: IMAGE });
  assert.deepEqual(values(argv, "--bind"), [
    "/opt/llem/engines:/llem/engines:ro",
    "/data/models/qwen:/data/models/qwen:ro",
    "/home/u/.cache/huggingface:/home/u/.cache/huggingface:ro",
    "/tmp/llem-x:/llem/exchange",
    "/run/user/1000/llem-s1/secrets.env:/llem/secrets.env:ro",
  ]);
  const adapted = apptainerArgv({ ...launch, adapterPath: "/repo/test_engine/adapter.py" }, { image: IMAGE });
  assert.ok(
    values(adapted.argv, "--bind").includes("/repo/test_engine/adapter.py:/llem/adapter/adapter.py:ro"),
  );
  assert.deepEqual(adapted.argv.slice(-2), ["--adapter-path", "/llem/adapter/adapter.py"]);
});

Deno.test("apptainerArgv() puts the container's /tmp and $HOME in the session's work folder, not a 64 MiB tmpfs", () => {
  const { argv } = apptainerArgv(launch, { image: IMAGE, workDir: "/tmp/llem-0/h-1-ab/workdir-x" });
  assert.deepEqual(values(optionsOf(argv), "--workdir"), ["/tmp/llem-0/h-1-ab/workdir-x"]);
  assert.deepEqual(values(apptainerArgv(launch, { image: IMAGE }).argv, "--workdir"), []);
});

Deno.test("apptainerArgv() mounts nothing of the host but those binds: no home, no working directory", () => {
  const { argv } = apptainerArgv(launch, { image: IMAGE });
  const options = optionsOf(argv);
  // --containall: an empty $HOME and /tmp, no working directory; a --home or --bind of $HOME would undo it.
  for (const flag of ["--home", "-H", "--mount", "-B", "--overlay", "--writable", "--writable-tmpfs"]) {
    assert.ok(!options.includes(flag), `no ${flag}`);
  }
  assert.equal(values(argv, "--bind").length, 5);
});

Deno.test("apptainerArgv() passes only what llem chose: offline switches, exchange and secrets paths, the launch's env", () => {
  const { env } = apptainerArgv(launch, { image: IMAGE });
  assert.deepEqual(env, {
    APPTAINERENV_HF_HUB_OFFLINE: "1",
    APPTAINERENV_TRANSFORMERS_OFFLINE: "1",
    APPTAINERENV_LLEM_SEED: "7",
    APPTAINERENV_LLEM_EXCHANGE_DIR: "/llem/exchange",
    APPTAINERENV_LLEM_SECRETS_FILE: "/llem/secrets.env",
    APPTAINERENV_CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    APPTAINERENV_CUDA_VISIBLE_DEVICES: "GPU-aaa,GPU-bbb",
  });
  const online = apptainerArgv({ ...launch, allowNetwork: true }, { image: IMAGE });
  assert.equal(online.env.APPTAINERENV_HF_HUB_OFFLINE, undefined);
  assert.equal(online.env.APPTAINERENV_TRANSFORMERS_OFFLINE, undefined);
});

Deno.test("apptainerArgv() gives secrets by file only: no secret in argv or in the container's variables", () => {
  const { argv, env } = apptainerArgv(launch, { image: IMAGE });
  const text = [...argv, ...Object.keys(env), ...Object.values(env)].join("\n");
  assert.doesNotMatch(text, /HF_TOKEN|HUGGING_FACE_HUB_TOKEN|hf_[A-Za-z0-9]{10}/);
  const plain = apptainerArgv({ ...launch, secretsFile: undefined }, { image: IMAGE });
  assert.ok(!plain.argv.some((arg) => arg.includes("secrets")));
  assert.equal(plain.env.APPTAINERENV_LLEM_SECRETS_FILE, undefined);
});

Deno.test("apptainerArgv() starts the client with none of the host's Apptainer settings or container variables", () => {
  const { inherit } = apptainerArgv(launch, { image: IMAGE });
  assert.deepEqual(inherit, APPTAINER_CLIENT_ENV);
  const leaks = {
    APPTAINERENV_LEAKED: "1",
    SINGULARITYENV_LEAKED: "1",
    APPTAINER_BIND: "/home/u:/home/u",
    APPTAINER_BINDPATH: "/scratch",
    APPTAINER_HOME: "/home/u",
    APPTAINER_OVERLAY: "/home/u/overlay.img",
    PYTHONPATH: "/home/u/lib",
    LD_LIBRARY_PATH: "/home/u/lib",
  };
  for (const [name, value] of Object.entries(leaks)) Deno.env.set(name, value);
  try {
    const started = childEnv({ env: { APPTAINERENV_LLEM_SEED: "7" }, inherit });
    for (const name of Object.keys(leaks)) assert.equal(started[name], undefined, `${name} is left out`);
    assert.equal(started.APPTAINERENV_LLEM_SEED, "7");
    assert.equal(started.PATH, Deno.env.get("PATH"), "the client finds its helpers and nvidia-smi");
  } finally {
    for (const name of Object.keys(leaks)) Deno.env.delete(name);
  }
});

Deno.test("apptainerArgv() cuts the network with --net --network none: --network alone is ignored", () => {
  // Apptainer reads --network only together with --net (a new network namespace); without --net the
  // container keeps the host's network (apptainer/apptainer#822). "none" is the one network type
  // unprivileged users may ask for: a namespace with only a loopback interface.
  const { argv } = apptainerArgv(launch, { image: IMAGE });
  const at = argv.indexOf("--net");
  assert.ok(at > 0, "--net is given");
  assert.deepEqual(argv.slice(at, at + 3), ["--net", "--network", "none"]);
  assert.ok(at < argv.indexOf(IMAGE), "before the image, where apptainer reads its options");
  const online = apptainerArgv({ ...launch, allowNetwork: true }, { image: IMAGE }).argv;
  assert.ok(!online.includes("--net") && !online.includes("--network"), "the host's network when allowed");
});

Deno.test("apptainerArgv() runs singularity where only it is installed, variables as SINGULARITYENV_", () => {
  const { argv, env } = apptainerArgv(launch, { image: IMAGE, program: "singularity" });
  assert.deepEqual(argv.slice(0, 2), ["singularity", "exec"]);
  assert.deepEqual(argv.slice(2, 5), ["--nv", "--containall", "--cleanenv"]);
  // Singularity knows only its own prefix; an APPTAINERENV_ variable would never reach the container.
  assert.equal(env.SINGULARITYENV_CUDA_VISIBLE_DEVICES, "GPU-aaa,GPU-bbb");
  assert.ok(Object.keys(env).every((name) => name.startsWith("SINGULARITYENV_")));
});
