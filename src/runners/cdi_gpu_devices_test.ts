import assert from "node:assert/strict";
import { join } from "node:path";
import { cdiGpuDevices } from "./cdi_gpu_devices.ts";

Deno.test("cdiGpuDevices() lists the nvidia.com/gpu devices of JSON and YAML specs, and says which it cannot read", () => {
  const etc = Deno.makeTempDirSync();
  const run = Deno.makeTempDirSync();
  try {
    // As nvidia-ctk cdi generate writes it: each GPU by index and UUID, and all.
    Deno.writeTextFileSync(
      join(etc, "nvidia.yaml"),
      "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: '0'\n- name: GPU-aaa\n- name: all\n",
    );
    Deno.writeTextFileSync(
      join(run, "standin.json"),
      JSON.stringify({ cdiVersion: "0.5.0", kind: "nvidia.com/gpu", devices: [{ name: "GPU-bbb" }] }),
    );
    Deno.writeTextFileSync(join(run, "other.json"), JSON.stringify({ kind: "vendor.com/fpga", devices: [] }));
    Deno.writeTextFileSync(join(run, "notes.txt"), "kind: nvidia.com/gpu\ndevices: [{name: GPU-ccc}]\n");
    Deno.writeTextFileSync(join(run, "broken.yaml"), "kind: [\n");
    const found = cdiGpuDevices([etc, run, join(etc, "missing")]);
    assert.deepEqual(found.names, ["0", "GPU-aaa", "all", "GPU-bbb"]);
    assert.deepEqual(found.files, [join(etc, "nvidia.yaml"), join(run, "standin.json")]);
    assert.equal(found.unreadable.length, 1);
    assert.match(found.unreadable[0]!, /broken\.yaml: /);
  } finally {
    Deno.removeSync(etc, { recursive: true });
    Deno.removeSync(run, { recursive: true });
  }
});
