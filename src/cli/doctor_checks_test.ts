import assert from "node:assert/strict";
import { gpuInfoFixture } from "../../tests/gpu_info_fixture.ts";
import { doctorChecks, type DoctorFacts, MIN_FREE_DISK_BYTES } from "./doctor_checks.ts";

const info = gpuInfoFixture;

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    nvml: {
      ok: true,
      libraryPath: "libnvidia-ml.so.1",
      driverVersion: "580.65.06",
      cudaDriverVersion: "13.0",
    },
    gpus: [{ info: info(), processes: [] }],
    runtimes: [{
      runtime: "docker",
      installed: true,
      usable: true,
      version: "28.2.2",
      nvidiaSupport: true,
      detail: "daemon reachable, NVIDIA runtime configured",
    }],
    outputDir: "results",
    freeDiskBytes: MIN_FREE_DISK_BYTES * 2,
    cpuEnergy: { domains: ["package-0 (intel-rapl:0)", "dram (intel-rapl:0:1)"] },
    runningFrom: { kind: "embedded", binary: "/opt/llem" },
    cache: { dir: "/home/a/.cache/llem", refused: null },
    ...overrides,
  };
}

const statuses = (f: DoctorFacts) => doctorChecks(f).map((c) => `${c.status} ${c.name}`);

Deno.test("doctorChecks() passes a ready machine", () => {
  assert.deepEqual(statuses(facts()), [
    "ok NVML",
    "ok driver",
    "ok GPU 0",
    "ok docker",
    "ok CPU energy",
    "ok disk",
    "ok llem",
    "ok cache",
  ]);
});

Deno.test("doctorChecks() fails without NVML and keeps the fix", () => {
  const checks = doctorChecks(facts({
    nvml: { ok: false, libraryPath: "x", message: "cannot load NVML", fix: "install the driver" },
    gpus: [],
  }));
  assert.deepEqual(checks[0], {
    name: "NVML",
    status: "fail",
    detail: "cannot load NVML",
    fix: "install the driver",
  });
});

Deno.test("doctorChecks() warns about each GPU problem with a fix", () => {
  const checks = doctorChecks(facts({
    nvml: { ok: true, libraryPath: "l", driverVersion: "470.82.01", cudaDriverVersion: "11.4" },
    gpus: [{
      info: info({
        persistenceMode: false,
        migMode: true,
        capabilities: {
          energyCounter: false,
          instantPowerField: false,
          clockEventReasons: false,
          utilization: false,
        },
      }),
      processes: [{ pid: 4242, usedMemoryBytes: 2 ** 30 }],
    }],
  }));
  const warned = checks.filter((c) => c.status === "warn");
  assert.equal(warned.length, 6);
  assert.ok(warned.every((c) => c.fix && c.fix.length > 0));
  assert.ok(warned.some((c) => /4242 \(1024 MiB\)/.test(c.detail)));
  assert.ok(warned.some((c) => c.fix === "sudo nvidia-smi -i 0 -pm 1"));
});

Deno.test("doctorChecks() fails when NVML sees no GPU, warns about runtimes and disk", () => {
  const checks = doctorChecks(facts({
    gpus: [],
    runtimes: [
      {
        runtime: "docker",
        installed: true,
        usable: true,
        version: "28",
        nvidiaSupport: false,
        detail: "no NVIDIA runtime",
      },
      { runtime: "podman", installed: false, usable: false, version: null, nvidiaSupport: null, detail: "" },
    ],
    freeDiskBytes: 2 ** 30,
  }));
  assert.deepEqual(checks.map((c) => `${c.status} ${c.name}`), [
    "ok NVML",
    "ok driver",
    "fail GPUs",
    "warn docker",
    "warn podman",
    "ok CPU energy",
    "warn disk",
    "ok llem",
    "ok cache",
  ]);
  assert.match(checks[3]!.fix!, /nvidia-ctk runtime configure/);
});

Deno.test("doctorChecks() warns, never fails, when CPU energy cannot be measured, and says why", () => {
  const checks = doctorChecks(
    facts({ cpuEnergy: { unavailable: "no RAPL zones under /sys/class/powercap" } }),
  );
  const cpu = checks.find((c) => c.name === "CPU energy")!;
  assert.equal(cpu.status, "warn");
  assert.match(cpu.detail, /not measured: no RAPL zones/);
  assert.ok(!checks.some((c) => c.status === "fail"));
});

Deno.test("doctorChecks() says where llem runs from, and warns when Deno unpacked it into the home folder", () => {
  const llem = (runningFrom: DoctorFacts["runningFrom"]) =>
    doctorChecks(facts({ runningFrom })).find((c) => c.name === "llem")!;
  assert.match(
    llem({ kind: "source", mainModule: "/src/llem/main.ts" }).detail,
    /checkout \(\/src\/llem\/main\.ts\)/,
  );
  assert.match(
    llem({ kind: "embedded", binary: "/opt/llem" }).detail,
    /^single binary \/opt\/llem; DuckDB's library/,
  );
  const unpacked = (place: "beside_binary" | "data_dir", extractedTo: string) =>
    llem({ kind: "self_extracted", binary: "/opt/llem", extractedTo, place });
  const beside = unpacked("beside_binary", "/opt/.llem/0123456789abcdef");
  assert.equal(beside.status, "ok");
  assert.match(beside.detail, /unpacked by Deno beside it: \/opt\/\.llem\/0123456789abcdef/);
  const home = unpacked("data_dir", "/home/a/.local/share/llem/0123456789abcdef");
  assert.equal(home.status, "warn");
  assert.match(
    home.detail,
    /could not unpack beside itself; Deno unpacked it into \/home\/a\/\.local\/share/,
  );
  assert.match(home.fix!, /run it once there .*LLEM_CACHE_DIR/);
});

Deno.test("doctorChecks() warns about a cache llem cannot write, with LLEM_CACHE_DIR as the fix", () => {
  const cache = doctorChecks(facts({ cache: { dir: "/ro/cache", refused: "the file system is read-only" } }))
    .find((c) => c.name === "cache")!;
  assert.equal(cache.status, "warn");
  assert.match(cache.detail, /^cannot write \/ro\/cache: the file system is read-only/);
  assert.match(cache.fix!, /LLEM_CACHE_DIR/);
});
