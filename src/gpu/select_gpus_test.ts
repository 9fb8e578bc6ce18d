import assert from "node:assert/strict";
import { gpuInfoFixture } from "../../tests/gpu_info_fixture.ts";
import { GpuSelectionError, selectGpus } from "./select_gpus.ts";

function gpu(index: number, uuid: string, pciBusId: string) {
  return gpuInfoFixture({ index, uuid, pciBusId });
}

// NVML order differs from PCI bus order: NVML index 0 sits on bus 0x41.
const GPUS = [
  gpu(0, "GPU-aaaa-0", "00000000:41:00.0"),
  gpu(1, "GPU-bbbb-1", "00000000:01:00.0"),
  gpu(2, "GPU-cccc-2", "00000000:81:00.0"),
];

Deno.test("selectGpus() without a request or environment takes every GPU", () => {
  assert.deepEqual(selectGpus(GPUS, undefined), ["GPU-aaaa-0", "GPU-bbbb-1", "GPU-cccc-2"]);
});

Deno.test("selectGpus() reads integers as NVML indices and strings as UUIDs or unique prefixes", () => {
  assert.deepEqual(selectGpus(GPUS, [2, "GPU-bbbb-1"]), ["GPU-cccc-2", "GPU-bbbb-1"]);
  assert.deepEqual(selectGpus(GPUS, ["aaaa"]), ["GPU-aaaa-0"]);
});

Deno.test("selectGpus() translates CUDA_VISIBLE_DEVICES indices through PCI bus order", () => {
  // CUDA device 0 is the lowest bus id: NVML index 1.
  assert.deepEqual(selectGpus(GPUS, undefined, { cudaVisibleDevices: "0,2" }), ["GPU-bbbb-1", "GPU-cccc-2"]);
  assert.deepEqual(selectGpus(GPUS, [1], { cudaVisibleDevices: "2,0" }), ["GPU-bbbb-1"]);
  assert.deepEqual(selectGpus(GPUS, undefined, { cudaVisibleDevices: "GPU-cccc-2,GPU-aaaa" }), [
    "GPU-cccc-2",
    "GPU-aaaa-0",
  ]);
});

Deno.test("selectGpus() stops at the first invalid CUDA_VISIBLE_DEVICES entry, as CUDA does", () => {
  assert.deepEqual(selectGpus(GPUS, undefined, { cudaVisibleDevices: "1,7,0" }), ["GPU-aaaa-0"]);
  assert.deepEqual(selectGpus(GPUS, undefined, { cudaVisibleDevices: "-1" }), []);
});

Deno.test("selectGpus() uses Slurm's allocation when CUDA_VISIBLE_DEVICES is unset", () => {
  assert.deepEqual(selectGpus(GPUS, undefined, { slurmGpus: "2,0" }), ["GPU-cccc-2", "GPU-aaaa-0"]);
});

Deno.test("selectGpus() names the problem and the fix for unknown or repeated GPUs", () => {
  assert.throws(
    () => selectGpus(GPUS, [3]),
    (e: unknown) =>
      e instanceof GpuSelectionError &&
      e.message === "cannot use GPU 3: this machine has 3 NVIDIA GPUs (indices 0-2)" &&
      /llem gpus/.test(e.hint ?? ""),
  );
  assert.throws(
    () => selectGpus(GPUS, [1], { cudaVisibleDevices: "0" }),
    /cannot use GPU 1: the visible set has 1 NVIDIA GPU \(indices 0-0\)/,
  );
  assert.throws(() => selectGpus(GPUS, ["GPU-zzzz"]), /cannot use GPU "GPU-zzzz": .*no such UUID/);
  assert.throws(() => selectGpus(GPUS, [0, "GPU-aaaa-0"]), /listed twice/);
  assert.throws(() => selectGpus(GPUS, [0], { cudaVisibleDevices: "" }), /no GPU is visible/);
});
