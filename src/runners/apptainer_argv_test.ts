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
  assert.deepEqual(values(argv, "--network"), ["none"]);
  assert.deepEqual(argv.slice(-5), [
    "/images/vllm.sif",
    "python3",
    "/llem/engines/harness.py",
    "--engine",
    "vllm",
  ]);
});
