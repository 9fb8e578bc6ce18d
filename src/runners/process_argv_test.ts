import assert from "node:assert/strict";
import { launch } from "../../tests/harness_launch_fixture.ts";
import { processArgv } from "./process_argv.ts";

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
