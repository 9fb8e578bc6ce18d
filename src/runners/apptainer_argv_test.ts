import assert from "node:assert/strict";
import { launch, values } from "../../tests/harness_launch_fixture.ts";
import { apptainerArgv } from "./apptainer_argv.ts";

Deno.test("apptainerArgv() uses exec --nv --containall with the same mounts and GPUs by UUID", () => {
  const argv = apptainerArgv(launch, { image: "/images/vllm.sif" });
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
  assert.deepEqual(argv.slice(-5), [
    "/images/vllm.sif",
    "python3",
    "/llem/engines/harness.py",
    "--engine",
    "vllm",
  ]);
});

Deno.test("apptainerArgv() cuts the network with --net --network none: --network alone is ignored", () => {
  // Apptainer reads --network only together with --net (a new network namespace); without --net the
  // container keeps the host's network (apptainer/apptainer#822). "none" is the one network type
  // unprivileged users may ask for: a namespace with only a loopback interface.
  const argv = apptainerArgv(launch, { image: "/images/vllm.sif" });
  const at = argv.indexOf("--net");
  assert.ok(at > 0, "--net is given");
  assert.deepEqual(argv.slice(at, at + 3), ["--net", "--network", "none"]);
  assert.ok(at < argv.indexOf("/images/vllm.sif"), "before the image, where apptainer reads its options");
  const online = apptainerArgv({ ...launch, allowNetwork: true }, { image: "/images/vllm.sif" });
  assert.ok(!online.includes("--net") && !online.includes("--network"), "the host's network when allowed");
});
