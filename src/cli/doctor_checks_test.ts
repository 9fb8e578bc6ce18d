import assert from "node:assert/strict";
import { gpuInfoFixture } from "../../tests/gpu_info_fixture.ts";
import type { RuntimeProbe } from "../runners/probe_runtimes.ts";
import { doctorChecks, type DoctorFacts, MIN_FREE_DISK_BYTES, SIF_FROM_DOCKER } from "./doctor_checks.ts";

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

/** Podman as probeRuntimes() finds it, with any fields overridden. */
function podman(overrides: Partial<RuntimeProbe> = {}): RuntimeProbe {
  return {
    runtime: "podman",
    installed: true,
    usable: true,
    version: "4.3.1",
    nvidiaSupport: true,
    detail: "rootful, cgroups v1",
    cdiGpus: { names: ["GPU-1", "0", "all"], files: ["/etc/cdi/nvidia.yaml"], unreadable: [] },
    limitsIgnored: null,
    ...overrides,
  };
}

Deno.test("doctorChecks() names Podman's CDI GPUs, and warns when none or not every GPU has a CDI device", () => {
  const ready = doctorChecks(facts({ runtimes: [podman()] })).find((c) => c.name === "podman")!;
  assert.equal(ready.status, "ok");
  assert.match(
    ready.detail,
    /^4\.3\.1 rootful, cgroups v1; CDI: 3 nvidia\.com\/gpu devices \(\/etc\/cdi\/nvidia\.yaml\)$/,
  );
  const none = doctorChecks(facts({
    runtimes: [podman({ nvidiaSupport: false, cdiGpus: { names: [], files: [], unreadable: [] } })],
  })).filter((c) => c.name === "podman");
  assert.deepEqual(none.map((c) => c.status), ["warn"]);
  assert.match(none[0]!.detail, /no CDI spec names an nvidia\.com\/gpu device/);
  assert.match(none[0]!.fix!, /nvidia-ctk cdi generate/);
  // A spec older than the GPUs (a GPU swapped or added since nvidia-ctk ran): preflight would fail later.
  const stale = doctorChecks(facts({
    gpus: [{ info: info(), processes: [] }, { info: info({ index: 1, uuid: "GPU-2" }), processes: [] }],
    runtimes: [
      podman({
        cdiGpus: { names: ["GPU-1"], files: ["/etc/cdi/nvidia.yaml"], unreadable: ["/etc/cdi/x.json: bad"] },
      }),
    ],
  })).filter((c) => c.name === "podman" && c.status === "warn");
  assert.deepEqual(stale.map((c) => c.detail), [
    "GPU 1 (GPU-2) has no CDI device nvidia.com/gpu=GPU-2: Podman cannot give it to a container",
    "cannot read the CDI spec /etc/cdi/x.json: bad",
  ]);
  assert.ok(stale.every((c) => c.fix));
});

Deno.test("doctorChecks() warns when a runtime ignores containers' resource limits, with the way out", () => {
  const why = "rootless on cgroups v1: containers' memory and pids limits are ignored";
  const checks = doctorChecks(facts({ runtimes: [podman({ limitsIgnored: why })] }))
    .filter((c) => c.name === "podman");
  assert.deepEqual(checks.map((c) => c.status), ["ok", "warn"]);
  assert.equal(checks[1]!.detail, why);
  assert.match(checks[1]!.fix!, /cgroups v2/);
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

const apptainer = (usable: boolean): DoctorFacts["runtimes"][number] => ({
  runtime: "apptainer",
  installed: usable,
  usable,
  version: usable ? "1.3.4" : null,
  nvidiaSupport: null,
  detail: usable ? "apptainer version 1.3.4" : "apptainer: it is not installed (not on PATH)",
});

Deno.test("doctorChecks() tells, where Apptainer is, how to make a .sif from a Docker image offline", () => {
  const checks = doctorChecks(facts({ runtimes: [apptainer(true)] }));
  assert.deepEqual(checks.find((c) => c.name === "apptainer images"), {
    name: "apptainer images",
    status: "ok",
    detail: SIF_FROM_DOCKER,
  });
  assert.match(
    SIF_FROM_DOCKER,
    /docker save IMAGE -o x\.tar .* apptainer build x\.sif docker-archive:x\.tar/,
  );
  // Without Apptainer and without a config that asks for it: one choice among several, a warning.
  const without = doctorChecks(facts({ runtimes: [apptainer(false)] }));
  assert.equal(without.find((c) => c.name === "apptainer images"), undefined);
  assert.equal(without.find((c) => c.name === "apptainer")?.status, "warn");
});

Deno.test("doctorChecks() fails a config's Apptainer image it cannot start offline, and a missing Apptainer", () => {
  const problem = {
    message: "image vllm/vllm-openai:v0.33.0 is a registry name, not a file",
    fix: "docker save ...",
  };
  const checks = doctorChecks(facts({
    runtimes: [apptainer(false)],
    apptainerImages: [{ image: "vllm/vllm-openai:v0.33.0", problem }, { image: "/sif/t.sif", problem: null }],
  }));
  assert.deepEqual(checks.filter((c) => c.name.startsWith("apptainer")), [
    {
      name: "apptainer",
      status: "fail",
      detail: "not installed",
      fix: "install Apptainer (apptainer.org), or use another runner",
    },
    { name: "apptainer image", status: "fail", detail: problem.message, fix: "docker save ..." },
    { name: "apptainer image", status: "ok", detail: "/sif/t.sif: Apptainer can start it here, offline" },
  ]);
});
