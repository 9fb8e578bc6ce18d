/**
 * Tests of the fake NVML library (tests/fake_nvml/fake_nvml.c) through Deno.dlopen, the way llem
 * loads the real libnvidia-ml.so.1. Expected values are worked out by hand from each scenario
 * (clock = manual, so time is exact). Each test dlopens its own copy of the library, so every test
 * starts with fresh library state (call counts, init refcount).
 */
import assert from "node:assert/strict";

const REPO = new URL("../../", import.meta.url).pathname;
const BUILD_SCRIPT = `${REPO}scripts/build_fake_nvml.sh`;
const BUILD_DIR = `${REPO}build/fake_nvml/`;
const FULL = "libnvidia-ml.so.1";
const OLD_DRIVER = "libnvidia-ml-old-driver.so";
const NO_ENERGY = "libnvidia-ml-no-energy.so";

function runBuild(args: string[] = []): Deno.CommandOutput {
  return new Deno.Command("bash", { args: [BUILD_SCRIPT, ...args], stdout: "piped", stderr: "piped" })
    .outputSync();
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const initialBuild = runBuild();
if (!initialBuild.success) {
  throw new Error(`scripts/build_fake_nvml.sh failed:\n${text(initialBuild.stderr)}`);
}

const P = "pointer" as const;
const B = "buffer" as const;

const SYMBOLS = {
  nvmlInit_v2: { parameters: [], result: "i32" },
  nvmlInitWithFlags: { parameters: ["u32"], result: "i32", optional: true },
  nvmlShutdown: { parameters: [], result: "i32" },
  nvmlErrorString: { parameters: ["i32"], result: "pointer" },
  nvmlSystemGetDriverVersion: { parameters: [B, "u32"], result: "i32" },
  nvmlSystemGetCudaDriverVersion: { parameters: [B], result: "i32" },
  nvmlDeviceGetCount_v2: { parameters: [B], result: "i32" },
  nvmlDeviceGetHandleByIndex_v2: { parameters: ["u32", B], result: "i32" },
  nvmlDeviceGetHandleByUUID: { parameters: [B, B], result: "i32" },
  nvmlDeviceGetIndex: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetName: { parameters: [P, B, "u32"], result: "i32" },
  nvmlDeviceGetUUID: { parameters: [P, B, "u32"], result: "i32" },
  nvmlDeviceGetPciInfo_v3: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetCudaComputeCapability: { parameters: [P, B, B], result: "i32" },
  nvmlDeviceGetArchitecture: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetMigMode: { parameters: [P, B, B], result: "i32" },
  nvmlDeviceGetPersistenceMode: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetTotalEnergyConsumption: { parameters: [P, B], result: "i32", optional: true },
  nvmlDeviceGetPowerUsage: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetPowerManagementLimit: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetEnforcedPowerLimit: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetFieldValues: { parameters: [P, "i32", B], result: "i32" },
  nvmlDeviceGetTemperature: { parameters: [P, "i32", B], result: "i32" },
  nvmlDeviceGetTemperatureV: { parameters: [P, B], result: "i32", optional: true },
  nvmlDeviceGetMemoryInfo: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetMemoryInfo_v2: { parameters: [P, B], result: "i32", optional: true },
  nvmlDeviceGetUtilizationRates: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetClockInfo: { parameters: [P, "i32", B], result: "i32" },
  nvmlDeviceGetCurrentClocksEventReasons: { parameters: [P, B], result: "i32", optional: true },
  nvmlDeviceGetCurrentClocksThrottleReasons: { parameters: [P, B], result: "i32" },
  nvmlDeviceGetComputeRunningProcesses_v3: { parameters: [P, B, B], result: "i32", optional: true },
  fakeNvmlTimeSeconds: { parameters: [], result: "f64" },
  fakeNvmlSetTimeSeconds: { parameters: ["f64"], result: "void" },
  fakeNvmlCallCount: { parameters: [B], result: "u64" },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
type Handle = Deno.PointerValue;

const ENV_KEYS = ["FAKE_NVML_SCENARIO", "FAKE_NVML_GPU_COUNT", "FAKE_NVML_FAIL", "FAKE_NVML_CLOCK"];
const MIB = 1048576n;

interface FakeOptions {
  /** Scenario file contents; written to a temporary file named by FAKE_NVML_SCENARIO. */
  scenario?: string;
  /** FAKE_NVML_* overrides; the ones not given are unset. */
  env?: Record<string, string>;
  /** Library file in build/fake_nvml/. */
  variant?: string;
}

/** A private copy of a fake library, opened, with the scenario environment set. */
class Fake {
  readonly s: Symbols;
  readonly scenarioPath: string;
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #dir: string;

  constructor(options: FakeOptions = {}) {
    this.#dir = Deno.makeTempDirSync({ prefix: "fake_nvml_test_" });
    const path = `${this.#dir}/libnvidia-ml.so.1`;
    Deno.copyFileSync(`${BUILD_DIR}${options.variant ?? FULL}`, path);
    this.scenarioPath = `${this.#dir}/scenario.conf`;
    for (const key of ENV_KEYS) Deno.env.delete(key);
    if (options.scenario !== undefined) {
      Deno.writeTextFileSync(this.scenarioPath, options.scenario);
      Deno.env.set("FAKE_NVML_SCENARIO", this.scenarioPath);
    }
    for (const [key, value] of Object.entries(options.env ?? {})) Deno.env.set(key, value);
    this.#lib = Deno.dlopen(path, SYMBOLS);
    this.s = this.#lib.symbols;
  }

  close(): void {
    this.#lib.close();
    for (const key of ENV_KEYS) Deno.env.delete(key);
    Deno.removeSync(this.#dir, { recursive: true });
  }

  init(): void {
    assert.equal(this.s.nvmlInit_v2(), 0, "nvmlInit_v2");
  }

  at(seconds: number): this {
    this.s.fakeNvmlSetTimeSeconds(seconds);
    return this;
  }

  calls(name: string): number {
    return Number(this.s.fakeNvmlCallCount(cString(name)));
  }

  handle(index: number): Handle {
    const out = new BigUint64Array(1);
    assert.equal(this.s.nvmlDeviceGetHandleByIndex_v2(index, out), 0, `handle ${index}`);
    return Deno.UnsafePointer.create(out[0]!);
  }

  energy(h: Handle): bigint {
    const out = new BigUint64Array(1);
    assert.equal(this.s.nvmlDeviceGetTotalEnergyConsumption!(h, out), 0, "energy");
    return out[0]!;
  }

  power(h: Handle): number {
    const out = new Uint32Array(1);
    assert.equal(this.s.nvmlDeviceGetPowerUsage(h, out), 0, "power");
    return out[0]!;
  }

  /** [nvmlReturn of the call, out value]. */
  u32Call(f: (h: Handle, out: Uint32Array) => number, h: Handle): [number, number] {
    const out = new Uint32Array(1);
    const rc = f(h, out);
    return [rc, out[0]!];
  }

  reasons(h: Handle): [bigint, bigint] {
    const a = new BigUint64Array(1), b = new BigUint64Array(1);
    assert.equal(this.s.nvmlDeviceGetCurrentClocksEventReasons!(h, a), 0);
    assert.equal(this.s.nvmlDeviceGetCurrentClocksThrottleReasons(h, b), 0);
    return [a[0]!, b[0]!];
  }

  errorString(code: number): string {
    return Deno.UnsafePointerView.getCString(this.s.nvmlErrorString(code)!);
  }
}

function withFake(options: FakeOptions, body: (fake: Fake) => void): void {
  const fake = new Fake(options);
  try {
    body(fake);
  } finally {
    fake.close();
  }
}

function cString(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${s}\0`);
}

function readCString(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  const view = bytes.subarray(offset, offset + length);
  const end = view.indexOf(0);
  assert.ok(end >= 0, "string is NUL-terminated");
  return text(view.subarray(0, end));
}

/** Checks a list of [seconds, expected] pairs against one reading. */
function checkAt<T>(fake: Fake, cases: [number, T][], read: () => T, what: string): void {
  for (const [t, expected] of cases) {
    fake.at(t);
    assert.equal(fake.s.fakeNvmlTimeSeconds(), t, `time ${t}`);
    assert.equal(read(), expected, `${what} at t=${t}s`);
  }
}

// ---------------------------------------------------------------------------------------------

Deno.test("every NVML call returns UNINITIALIZED before init and after the matching shutdowns", () => {
  withFake({}, (fake) => {
    const s = fake.s;
    const bogus = Deno.UnsafePointer.create(0x1234n);
    assert.equal(s.nvmlDeviceGetCount_v2(new Uint32Array(1)), 1);
    assert.equal(s.nvmlDeviceGetHandleByIndex_v2(0, new BigUint64Array(1)), 1);
    assert.equal(s.nvmlSystemGetDriverVersion(new Uint8Array(80), 80), 1);
    assert.equal(s.nvmlSystemGetCudaDriverVersion(new Int32Array(1)), 1);
    assert.equal(s.nvmlDeviceGetTotalEnergyConsumption!(bogus, new BigUint64Array(1)), 1);
    assert.equal(s.nvmlDeviceGetFieldValues(bogus, 0, null), 1);
    assert.equal(s.nvmlShutdown(), 1, "shutdown without init");
    assert.equal(fake.errorString(1), "Uninitialized", "nvmlErrorString works before init");

    // Reference counted: two inits need two shutdowns.
    assert.equal(s.nvmlInit_v2(), 0);
    assert.equal(s.nvmlInitWithFlags!(0), 0);
    const h = fake.handle(0);
    assert.equal(s.nvmlShutdown(), 0);
    assert.equal(fake.power(h), 70000, "still initialized after one of two shutdowns");
    assert.equal(s.nvmlShutdown(), 0);
    assert.equal(s.nvmlDeviceGetPowerUsage(h, new Uint32Array(1)), 1, "a stale handle after shutdown");
    assert.equal(s.nvmlDeviceGetCount_v2(new Uint32Array(1)), 1);
    assert.equal(s.nvmlShutdown(), 1);
  });
});

Deno.test("nvmlErrorString gives NVML's text for each code", () => {
  withFake({}, (fake) => {
    const expected: [number, string][] = [
      [0, "Success"],
      [2, "Invalid Argument"],
      [3, "Not Supported"],
      [4, "Insufficient Permissions"],
      [7, "Insufficient Size"],
      [9, "Driver Not Loaded"],
      [15, "GPU is lost"],
      [18, "RM has detected an NVML/RM version mismatch."],
      [25, "Argument version mismatch"],
      [999, "Unknown Error"],
      [12345, "Unknown Error"],
    ];
    for (const [code, message] of expected) assert.equal(fake.errorString(code), message, `code ${code}`);
    const distinct = new Set<string>();
    for (let code = 0; code <= 30; code++) distinct.add(fake.errorString(code));
    assert.equal(distinct.size, 31, "one string per code 0..30");
    assert.ok(!distinct.has("Unknown Error"));
  });
});

Deno.test("defaults without a scenario: one H100-like GPU", () => {
  withFake({ env: { FAKE_NVML_CLOCK: "manual" } }, (fake) => {
    const s = fake.s;
    fake.init();
    const count = new Uint32Array(1);
    assert.equal(s.nvmlDeviceGetCount_v2(count), 0);
    assert.equal(count[0], 1);
    const driver = new Uint8Array(80);
    assert.equal(s.nvmlSystemGetDriverVersion(driver, 80), 0);
    assert.equal(readCString(driver), "580.65.06");
    const cuda = new Int32Array(1);
    assert.equal(s.nvmlSystemGetCudaDriverVersion(cuda), 0);
    assert.equal(cuda[0], 13000);

    const h = fake.handle(0);
    const name = new Uint8Array(96);
    assert.equal(s.nvmlDeviceGetName(h, name, 96), 0);
    assert.equal(readCString(name), "NVIDIA H100 80GB HBM3");
    const uuid = new Uint8Array(96);
    assert.equal(s.nvmlDeviceGetUUID(h, uuid, 96), 0);
    assert.match(
      readCString(uuid),
      /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );

    const major = new Int32Array(1), minor = new Int32Array(1);
    assert.equal(s.nvmlDeviceGetCudaComputeCapability(h, major, minor), 0);
    assert.deepEqual([major[0], minor[0]], [9, 0]);
    // NVML_DEVICE_ARCH_HOPPER, what peers (Zeus) check before reading the energy counter.
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetArchitecture, h), [0, 9]);
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetPowerManagementLimit, h), [0, 700000]);
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetEnforcedPowerLimit, h), [0, 700000]);
    const persistence = new Int32Array(1);
    assert.equal(s.nvmlDeviceGetPersistenceMode(h, persistence), 0);
    assert.equal(persistence[0], 1);
    const current = new Uint32Array([7]), pending = new Uint32Array([7]);
    assert.equal(s.nvmlDeviceGetMigMode(h, current, pending), 0);
    assert.deepEqual([current[0], pending[0]], [0, 0]);

    const clock = new Uint32Array(1);
    for (const [type, mhz] of [[0, 1980], [1, 1980], [2, 2619], [3, 1980]]) {
      assert.equal(s.nvmlDeviceGetClockInfo(h, type!, clock), 0);
      assert.equal(clock[0], mhz, `clock type ${type}`);
    }
    const temp = new Uint32Array(1);
    assert.equal(s.nvmlDeviceGetTemperature(h, 0, temp), 0);
    assert.equal(temp[0], 35);
    const util = new Uint32Array([9, 9]);
    assert.equal(s.nvmlDeviceGetUtilizationRates(h, util), 0);
    assert.deepEqual([...util], [0, 0]);

    // 70 W from t = 0; the counter starts at the default offset 1,000,000 mJ for GPU 0.
    assert.equal(fake.energy(h), 1_000_000n);
    fake.at(2);
    assert.equal(fake.energy(h), 1_000_000n + 140_000n);
    assert.equal(fake.power(h), 70000);
    assert.deepEqual(fake.reasons(h), [1n, 1n], "GpuIdle below 100 W");
  });
});

Deno.test("default UUIDs, bus ids and energy offsets are distinct per GPU and deterministic", () => {
  const read = () => {
    const rows: string[] = [];
    withFake({ env: { FAKE_NVML_GPU_COUNT: "3", FAKE_NVML_CLOCK: "manual" } }, (fake) => {
      fake.init();
      for (let i = 0; i < 3; i++) {
        const h = fake.handle(i);
        const uuid = new Uint8Array(96);
        assert.equal(fake.s.nvmlDeviceGetUUID(h, uuid, 96), 0);
        const pci = new Uint8Array(68);
        assert.equal(fake.s.nvmlDeviceGetPciInfo_v3(h, pci), 0);
        rows.push(`${readCString(uuid)} ${readCString(pci, 36, 32)} ${fake.energy(h)}`);
      }
    });
    return rows;
  };
  const first = read();
  assert.equal(new Set(first.map((row) => row.split(" ")[0])).size, 3);
  assert.deepEqual(first.map((row) => row.split(" ").slice(1).join(" ")), [
    "00000000:01:00.0 1000000",
    "00000000:02:00.0 2000000",
    "00000000:03:00.0 3000000",
  ]);
  assert.deepEqual(read(), first);
});

Deno.test("identity, PCI layout, limits, clocks and temperature from a scenario", () => {
  const scenario = `
# two GPUs; the second one customised
gpu_count = 2
driver_version = 535.104.05   # trailing comment
cuda_version = 12020
clock = manual
gpu.1.name = NVIDIA A100-SXM4-40GB
gpu.1.uuid = GPU-11111111-2222-3333-4444-555555555555
gpu.1.pci_bus_id = 0000:1b:02.1
gpu.1.compute_capability = 8.0
gpu.1.power_limit_w = 400
gpu.1.enforced_power_limit_w = 350.5
gpu.1.persistence = 0
gpu.1.mig = 1
gpu.1.sm_clock_mhz = 1410
gpu.1.mem_clock_mhz = 1215
gpu.1.utilization_gpu = 87
gpu.1.utilization_memory = 42
gpu.1.temperature_c = ramp:30:80:100
`;
  withFake({ scenario }, (fake) => {
    const s = fake.s;
    fake.init();
    const driver = new Uint8Array(80);
    assert.equal(s.nvmlSystemGetDriverVersion(driver, 80), 0);
    assert.equal(readCString(driver), "535.104.05");
    const cuda = new Int32Array(1);
    assert.equal(s.nvmlSystemGetCudaDriverVersion(cuda), 0);
    assert.equal(cuda[0], 12020);

    const h0 = fake.handle(0), h1 = fake.handle(1);
    const pci = new Uint8Array(68).fill(0xee);
    assert.equal(s.nvmlDeviceGetPciInfo_v3(h0, pci), 0);
    const dv = new DataView(pci.buffer);
    assert.equal(readCString(pci, 0, 16), "0000:01:00.0", "busIdLegacy at +0");
    assert.deepEqual([dv.getUint32(16, true), dv.getUint32(20, true), dv.getUint32(24, true)], [0, 1, 0]);
    assert.equal(dv.getUint32(28, true), 0x233010de, "pciDeviceId at +28");
    assert.equal(dv.getUint32(32, true), 0x16c110de, "pciSubSystemId at +32");
    assert.equal(readCString(pci, 36, 32), "00000000:01:00.0", "busId at +36");

    assert.equal(s.nvmlDeviceGetPciInfo_v3(h1, pci), 0);
    assert.equal(readCString(pci, 0, 16), "0000:1B:02.1");
    assert.deepEqual([dv.getUint32(16, true), dv.getUint32(20, true), dv.getUint32(24, true)], [0, 0x1b, 2]);
    assert.equal(readCString(pci, 36, 32), "00000000:1B:02.1");

    const name = new Uint8Array(96);
    assert.equal(s.nvmlDeviceGetName(h1, name, 96), 0);
    assert.equal(readCString(name), "NVIDIA A100-SXM4-40GB");
    const uuid = "GPU-11111111-2222-3333-4444-555555555555";
    const byUuid = new BigUint64Array(1);
    assert.equal(s.nvmlDeviceGetHandleByUUID(cString(uuid), byUuid), 0);
    assert.equal(byUuid[0], Deno.UnsafePointer.value(h1));
    assert.equal(s.nvmlDeviceGetHandleByUUID(cString("GPU-nope"), byUuid), 6, "NOT_FOUND");
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetIndex, h1), [0, 1]);
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetIndex, h0), [0, 0]);

    const major = new Int32Array(1), minor = new Int32Array(1);
    assert.equal(s.nvmlDeviceGetCudaComputeCapability(h1, major, minor), 0);
    assert.deepEqual([major[0], minor[0]], [8, 0]);
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetArchitecture, h1), [0, 7], "Ampere");
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetPowerManagementLimit, h1), [0, 400000]);
    assert.deepEqual(fake.u32Call(s.nvmlDeviceGetEnforcedPowerLimit, h1), [0, 350500]);
    const persistence = new Int32Array([5]);
    assert.equal(s.nvmlDeviceGetPersistenceMode(h1, persistence), 0);
    assert.equal(persistence[0], 0);
    const current = new Uint32Array(1), pending = new Uint32Array(1);
    assert.equal(s.nvmlDeviceGetMigMode(h1, current, pending), 0);
    assert.deepEqual([current[0], pending[0]], [1, 1]);
    const util = new Uint32Array(2);
    assert.equal(s.nvmlDeviceGetUtilizationRates(h1, util), 0);
    assert.deepEqual([...util], [87, 42]);

    const clock = new Uint32Array(1);
    for (const [type, mhz] of [[0, 1410], [1, 1410], [2, 1215], [3, 1410]]) {
      assert.equal(s.nvmlDeviceGetClockInfo(h1, type!, clock), 0);
      assert.equal(clock[0], mhz, `clock type ${type}`);
    }
    assert.equal(s.nvmlDeviceGetClockInfo(h1, 9, clock), 2, "unknown clock type");

    // ramp 30 -> 80 C over 100 s.
    const temp = new Uint32Array(1);
    fake.at(50);
    assert.equal(s.nvmlDeviceGetTemperature(h1, 0, temp), 0);
    assert.equal(temp[0], 55);
    assert.equal(s.nvmlDeviceGetTemperature(h1, 1, temp), 2, "only sensor 0");
    const tv = new Uint8Array(12);
    const tdv = new DataView(tv.buffer);
    tdv.setUint32(0, 0x0100000c, true);
    assert.equal(s.nvmlDeviceGetTemperatureV!(h1, tv), 0);
    assert.equal(tdv.getInt32(8, true), 55, "temperature at +8");
    fake.at(150);
    assert.equal(s.nvmlDeviceGetTemperatureV!(h1, tv), 0);
    assert.equal(tdv.getInt32(8, true), 80, "the ramp holds its last value");
    tdv.setUint32(0, 1, true);
    assert.equal(s.nvmlDeviceGetTemperatureV!(h1, tv), 25, "ARGUMENT_VERSION_MISMATCH");
  });
});

Deno.test("invalid handles, NULL out-parameters and small buffers", () => {
  withFake({}, (fake) => {
    const s = fake.s;
    fake.init();
    const h = fake.handle(0);
    const bogus = Deno.UnsafePointer.create(0x1234n);
    assert.equal(s.nvmlDeviceGetHandleByIndex_v2(1, new BigUint64Array(1)), 2, "index past the count");
    assert.equal(s.nvmlDeviceGetHandleByIndex_v2(0, null), 2);
    assert.equal(s.nvmlDeviceGetPowerUsage(bogus, new Uint32Array(1)), 2);
    assert.equal(s.nvmlDeviceGetPowerUsage(null, new Uint32Array(1)), 2);
    assert.equal(s.nvmlDeviceGetPowerUsage(h, null), 2);
    assert.equal(s.nvmlDeviceGetTotalEnergyConsumption!(h, null), 2);
    assert.equal(s.nvmlDeviceGetMemoryInfo(h, null), 2);
    assert.equal(s.nvmlDeviceGetCount_v2(null), 2);
    assert.equal(s.nvmlDeviceGetCudaComputeCapability(h, new Int32Array(1), null), 2);
    assert.equal(s.nvmlDeviceGetFieldValues(h, 1, null), 2);
    assert.equal(s.nvmlDeviceGetComputeRunningProcesses_v3!(h, null, null), 2);

    const name = "NVIDIA H100 80GB HBM3";
    assert.equal(s.nvmlDeviceGetName(h, new Uint8Array(96), name.length), 7, "no room for the NUL");
    assert.equal(s.nvmlDeviceGetName(h, new Uint8Array(96), name.length + 1), 0);
    assert.equal(s.nvmlDeviceGetUUID(h, new Uint8Array(96), 10), 7);
    assert.equal(s.nvmlSystemGetDriverVersion(new Uint8Array(80), "580.65.06".length), 7);
    assert.equal(s.nvmlSystemGetDriverVersion(new Uint8Array(80), "580.65.06".length + 1), 0);
  });
});

Deno.test("energy counter, const trace: offset + floor(integral) at the last update boundary", () => {
  const scenario = `
clock = manual
energy_update_ms = 10
gpu_count = 2
gpu.0.power = const:70
gpu.0.energy_offset_mj = 5000
gpu.1.power = const:0.35
gpu.1.energy_offset_mj = 123456789012
`;
  withFake({ scenario }, (fake) => {
    fake.init();
    const h0 = fake.handle(0), h1 = fake.handle(1);
    // 70 W = 70 mJ per ms; the counter moves every 10 ms by 700 mJ.
    checkAt(
      fake,
      [
        [0, 5000n],
        [0.0099, 5000n],
        [0.01, 5700n],
        [0.0199, 5700n],
        [0.02, 6400n],
        [1.234, 5000n + 70n * 1230n],
        [100, 5000n + 7_000_000n],
      ],
      () => fake.energy(h0),
      "gpu 0 energy",
    );
    // 0.35 W over 10 ms = 3.5 mJ per update: floor shows the half millijoules.
    checkAt(
      fake,
      [
        [0.01, 123456789012n + 3n],
        [0.02, 123456789012n + 7n],
        [0.03, 123456789012n + 10n],
        [0.0399, 123456789012n + 10n],
        [0.04, 123456789012n + 14n],
      ],
      () => fake.energy(h1),
      "gpu 1 energy",
    );
    // Time may go backwards with the manual clock; the counter is a function of time.
    checkAt(fake, [[0.015, 5700n]], () => fake.energy(h0), "gpu 0 energy");
  });
});

Deno.test("energy counter with a 100 ms update period", () => {
  const scenario =
    "clock = manual\nenergy_update_ms = 100\ngpu.0.power = const:250\ngpu.0.energy_offset_mj = 0\n";
  withFake({ scenario }, (fake) => {
    fake.init();
    const h = fake.handle(0);
    checkAt(
      fake,
      [
        [0.05, 0n],
        [0.0999, 0n],
        [0.1, 25000n],
        [0.199, 25000n],
        [0.2, 50000n],
        [3.14159, 775000n],
      ],
      () => fake.energy(h),
      "energy",
    );
  });
});

Deno.test("energy counter, piecewise-linear traces: exact integrals, floored", () => {
  const scenario = `
clock = manual
energy_update_ms = 10
gpu_count = 3
gpu.0.power = points:0:100,2:300,4:300
gpu.0.energy_offset_mj = 0
gpu.1.power = points:0:0,1:1
gpu.1.energy_offset_mj = 0
gpu.2.power = points:1:50, 2:150
gpu.2.energy_offset_mj = 0
`;
  withFake({ scenario }, (fake) => {
    fake.init();
    const [h0, h1, h2] = [fake.handle(0), fake.handle(1), fake.handle(2)];
    // GPU 0: P = 100 + 100 t W up to 2 s, so E = 100 t + 50 t^2 J; then 300 W.
    checkAt(
      fake,
      [
        [0.15, 16125n], // 15 + 1.125 J
        [1, 150000n],
        [1.0099, 150000n], // still the 1.00 s boundary
        [1.01, 152005n], // 101 + 51.005 J
        [2, 400000n],
        [3.2, 760000n],
        [3.26, 778000n],
        [10, 2800000n],
      ],
      () => fake.energy(h0),
      "gpu 0 energy",
    );
    // GPU 1: P = t W up to 1 s: E = 500 t^2 mJ.
    checkAt(
      fake,
      [
        [0.03, 0n], // 0.45 mJ
        [0.11, 6n], // 6.05 mJ
        [0.123, 7n], // boundary 0.12 s: 7.2 mJ
        [0.5, 125n],
        [2, 1500n], // 500 mJ + 1 W for 1 s
      ],
      () => fake.energy(h1),
      "gpu 1 energy",
    );
    // GPU 2: 50 W before the first point at 1 s, ramps to 150 W at 2 s, then holds.
    checkAt(
      fake,
      [
        [0.5, 25000n],
        [1.5, 87500n], // 50 + 25 + 12.5 J
        [3, 300000n], // 50 + 100 + 150 J
      ],
      () => fake.energy(h2),
      "gpu 2 energy",
    );
  });
});

Deno.test("energy counter and instant power, square and ramp traces", () => {
  const scenario = `
clock = manual
power_semantics = instant
energy_update_ms = 10
gpu_count = 3
gpu.0.power = square:100:300:1:0.25
gpu.0.energy_offset_mj = 0
gpu.1.power = square:0:200:0.5
gpu.1.energy_offset_mj = 0
gpu.2.power = ramp:100:200:10
gpu.2.energy_offset_mj = 0
`;
  withFake({ scenario }, (fake) => {
    fake.init();
    const [h0, h1, h2] = [fake.handle(0), fake.handle(1), fake.handle(2)];
    // GPU 0: 300 W for the first 0.25 s of every second, else 100 W: 150 J per period.
    checkAt(
      fake,
      [
        [1, 150000n],
        [1.005, 150000n],
        [2.1, 330000n],
        [2.3, 380000n],
        [2.5, 400000n],
        [2.505, 400000n],
        [2.51, 401000n],
      ],
      () => fake.energy(h0),
      "gpu 0 energy",
    );
    checkAt(
      fake,
      [
        [2.1, 300000],
        [2.2499, 300000],
        [2.25, 100000],
        [2.99, 100000],
        [3, 300000],
      ],
      () => fake.power(h0),
      "gpu 0 instant power",
    );
    // GPU 1: default duty 0.5: 200 W for 0.25 s of every 0.5 s.
    checkAt(fake, [[0.2, 40000n], [0.3, 50000n], [1.1, 120000n]], () => fake.energy(h1), "gpu 1 energy");
    // GPU 2: 100 -> 200 W over 10 s, then holds.
    checkAt(fake, [[5, 625000n], [12, 1900000n]], () => fake.energy(h2), "gpu 2 energy");
    checkAt(fake, [[0, 100000], [5, 150000], [12, 200000]], () => fake.power(h2), "gpu 2 instant power");
  });
});

Deno.test("nvmlDeviceGetPowerUsage follows power_semantics; fields 185/186 do not", () => {
  const scenario = (semantics: string) => `
clock = manual
power_semantics = ${semantics}
gpu_count = 2
gpu.0.power = points:0:100,10:200
gpu.1.power = square:100:300:1:0.25
`;
  const fieldPower = (fake: Fake, h: Handle): [number, number] => {
    const buf = new Uint8Array(80);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, 185, true);
    dv.setUint32(40, 186, true);
    assert.equal(fake.s.nvmlDeviceGetFieldValues(h, 2, buf), 0);
    assert.equal(dv.getInt32(28, true), 0);
    assert.equal(dv.getInt32(68, true), 0);
    return [dv.getUint32(32, true), dv.getUint32(72, true)];
  };
  // [t, instant mW, 1 s average mW] for GPU 0 (P = 100 + 10 t W).
  const gpu0: [number, number, number][] = [
    [0, 100000, 100000], // at t = 0 the average is the instant value
    [0.5, 105000, 102500], // average over [0, 0.5]
    [5, 150000, 145000], // average over [4, 5]
    [20, 200000, 200000],
  ];
  // GPU 1 at t = 0.5: average over [0, 0.5] = (300 * 0.25 + 100 * 0.25) / 0.5 = 200 W.
  // At t = 3.5: window [2.5, 3.5] = 50 + 75 + 25 J = 150 W; instant 100 W.
  const gpu1: [number, number, number][] = [[0.5, 100000, 200000], [3.5, 100000, 150000]];
  for (const semantics of ["instant", "average"]) {
    withFake({ scenario: scenario(semantics) }, (fake) => {
      fake.init();
      for (const [index, rows] of [[0, gpu0], [1, gpu1]] as const) {
        const h = fake.handle(index);
        for (const [t, instant, average] of rows) {
          fake.at(t);
          const expected = semantics === "instant" ? instant : average;
          assert.equal(fake.power(h), expected, `${semantics} gpu ${index} t=${t}`);
          assert.deepEqual(fieldPower(fake, h), [average, instant], `fields gpu ${index} t=${t}`);
        }
      }
    });
  }
});

Deno.test("field values: per-element nvmlReturn, valueType, values and timestamps", () => {
  const scenario = `
clock = manual
gpu_count = 2
gpu.0.power = points:0:100,10:200
gpu.0.energy_offset_mj = 123456789012
gpu.1.energy_supported = 0
`;
  withFake({ scenario }, (fake) => {
    const s = fake.s;
    fake.init();
    const ids: [number, number][] = [[83, 0], [185, 0], [186, 0], [191, 0], [9999, 0], [186, 1]];
    const buf = new Uint8Array(40 * ids.length).fill(0xcc);
    const dv = new DataView(buf.buffer);
    const fill = () => {
      buf.fill(0xcc);
      ids.forEach(([id, scope], i) => {
        dv.setUint32(i * 40, id, true);
        dv.setUint32(i * 40 + 4, scope, true);
      });
    };
    const at = (i: number) => ({
      fieldId: dv.getUint32(i * 40, true),
      timestamp: dv.getBigInt64(i * 40 + 8, true),
      latency: dv.getBigInt64(i * 40 + 16, true),
      valueType: dv.getInt32(i * 40 + 24, true),
      ret: dv.getInt32(i * 40 + 28, true),
      u32: dv.getUint32(i * 40 + 32, true),
      high32: dv.getUint32(i * 40 + 36, true),
      u64: dv.getBigUint64(i * 40 + 32, true),
    });

    fake.at(5);
    const h0 = fake.handle(0);
    fill();
    const before = BigInt(Date.now()) * 1000n;
    assert.equal(s.nvmlDeviceGetFieldValues(h0, ids.length, buf), 0);
    const after = BigInt(Date.now() + 1) * 1000n;
    const energy = 123456789012n + 625000n; // E(5 s) = 500 + 125 J
    assert.deepEqual(
      [at(0).ret, at(0).valueType, at(0).u64, at(0).fieldId],
      [0, 3, energy, 83],
      "83 TOTAL_ENERGY_CONSUMPTION",
    );
    assert.deepEqual([at(1).ret, at(1).valueType, at(1).u32, at(1).high32], [0, 1, 145000, 0], "185 AVERAGE");
    assert.deepEqual([at(2).ret, at(2).valueType, at(2).u32, at(2).high32], [0, 1, 150000, 0], "186 INSTANT");
    assert.deepEqual([at(3).ret, at(3).valueType, at(3).u64], [0, 3, energy], "191 ENERGY");
    assert.equal(at(4).ret, 3, "an unsupported id: NOT_SUPPORTED in its element");
    assert.equal(at(5).ret, 3, "POWER_INSTANT with scope MODULE");
    assert.equal(fake.energy(h0), energy, "the same counter as nvmlDeviceGetTotalEnergyConsumption");
    for (let i = 0; i < ids.length; i++) {
      assert.ok(at(i).timestamp >= before && at(i).timestamp <= after, `timestamp ${i} is realtime in us`);
      assert.equal(at(i).timestamp, at(0).timestamp, "one timestamp per call");
      assert.equal(at(i).latency, 0n);
    }

    const h1 = fake.handle(1);
    fill();
    assert.equal(s.nvmlDeviceGetFieldValues(h1, ids.length, buf), 0);
    assert.deepEqual([at(0).ret, at(1).ret, at(2).ret, at(3).ret], [3, 0, 0, 3], "energy_supported = 0");
    assert.equal(at(2).u32, 70000);
    assert.equal(s.nvmlDeviceGetTotalEnergyConsumption!(h1, new BigUint64Array(1)), 3);
    assert.equal(s.nvmlDeviceGetFieldValues(h1, 0, null), 0, "zero fields");
  });
});

Deno.test("clock event reasons follow the throttle schedule, else GpuIdle below 100 W", () => {
  const scenario = `
clock = manual
gpu_count = 2
gpu.0.power = points:0:50,4:50,4:250
gpu.0.throttle = 1-2:0x4, 1.5-3:0x20, 5-6:64
gpu.1.power = const:150
`;
  withFake({ scenario }, (fake) => {
    fake.init();
    const h0 = fake.handle(0), h1 = fake.handle(1);
    const cases: [number, bigint][] = [
      [0.5, 0x1n],
      [1.2, 0x4n],
      [1.7, 0x24n],
      [2, 0x20n], // intervals are [START, END)
      [2.5, 0x20n],
      [3, 0x1n],
      [3.999, 0x1n],
      [4, 0x0n], // the step to 250 W takes effect at 4 s
      [5.5, 0x40n],
      [6, 0x0n],
    ];
    for (const [t, mask] of cases) {
      fake.at(t);
      assert.deepEqual(fake.reasons(h0), [mask, mask], `t=${t}`);
      assert.deepEqual(fake.reasons(h1), [0n, 0n], `gpu 1 at 150 W, t=${t}`);
    }
  });
});

Deno.test("running processes: the two-call pattern", () => {
  const scenario = "gpu_count = 2\ngpu.0.processes = 1234:500, 5678:81000\n";
  withFake({ scenario }, (fake) => {
    const f = fake.s.nvmlDeviceGetComputeRunningProcesses_v3!;
    fake.init();
    const h0 = fake.handle(0), h1 = fake.handle(1);
    const count = new Uint32Array([0]);
    assert.equal(f(h0, count, null), 7, "INSUFFICIENT_SIZE");
    assert.equal(count[0], 2);
    count[0] = 1;
    assert.equal(f(h0, count, new Uint8Array(24)), 7);
    assert.equal(count[0], 2);
    count[0] = 4;
    const infos = new Uint8Array(24 * 4).fill(0xab);
    assert.equal(f(h0, count, infos), 0);
    assert.equal(count[0], 2);
    const dv = new DataView(infos.buffer);
    assert.deepEqual(
      [0, 1].map((i) => [
        dv.getUint32(i * 24, true),
        dv.getBigUint64(i * 24 + 8, true),
        dv.getUint32(i * 24 + 16, true),
        dv.getUint32(i * 24 + 20, true),
      ]),
      [[1234, 500n * MIB, 0xffffffff, 0xffffffff], [5678, 81000n * MIB, 0xffffffff, 0xffffffff]],
    );
    assert.ok(infos.subarray(48).every((b) => b === 0xab), "slots past the count are untouched");

    count[0] = 0;
    assert.equal(f(h1, count, null), 0, "nothing running: SUCCESS with count 0");
    assert.equal(count[0], 0);
    count[0] = 3;
    assert.equal(f(h1, count, new Uint8Array(72)), 0);
    assert.equal(count[0], 0);
  });
});

Deno.test("memory info v1 and v2, and the v2 version check", () => {
  const scenario =
    "gpu.0.memory_total_mib = 81559\ngpu.0.memory_used_mib = 1000\ngpu.0.memory_reserved_mib = 500\n";
  withFake({ scenario }, (fake) => {
    const s = fake.s;
    fake.init();
    const h = fake.handle(0);
    const v1 = new BigUint64Array(3);
    assert.equal(s.nvmlDeviceGetMemoryInfo(h, v1), 0);
    assert.deepEqual(
      [...v1],
      [81559n * MIB, 80059n * MIB, 1500n * MIB],
      "total, free, used (incl. reserved)",
    );

    const buf = new Uint8Array(40);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, 0x02000028, true);
    assert.equal(s.nvmlDeviceGetMemoryInfo_v2!(h, buf), 0);
    assert.equal(dv.getUint32(0, true), 0x02000028);
    assert.deepEqual(
      [8, 16, 24, 32].map((offset) => dv.getBigUint64(offset, true)),
      [81559n * MIB, 500n * MIB, 80059n * MIB, 1000n * MIB],
      "total, reserved, free, used",
    );
    for (const version of [2, 0x01000028, 0x02000018, 0]) {
      buf.fill(0);
      dv.setUint32(0, version, true);
      assert.equal(s.nvmlDeviceGetMemoryInfo_v2!(h, buf), 25, `version ${version}`);
      assert.ok(buf.subarray(4).every((b) => b === 0), "nothing written on a mismatch");
    }
  });
});

Deno.test("fault injection: from/until, per-GPU, counted per function", () => {
  const scenario = `
gpu_count = 2
fail = nvmlDeviceGetTotalEnergyConsumption:GPU_IS_LOST:from=3:gpu=1; nvmlDeviceGetPowerUsage:999:from=2:until=3
`;
  withFake({ scenario }, (fake) => {
    const s = fake.s;
    fake.init();
    const handles = [fake.handle(0), fake.handle(1)];
    const out = new BigUint64Array(1);
    const energy: number[] = [];
    for (let call = 0; call < 6; call++) {
      energy.push(s.nvmlDeviceGetTotalEnergyConsumption!(handles[call % 2]!, out));
    }
    // Calls 1..6 alternate GPU 0 and 1; from the 3rd call on, only GPU 1's calls fail.
    assert.deepEqual(energy, [0, 0, 0, 15, 0, 15]);
    assert.equal(fake.calls("nvmlDeviceGetTotalEnergyConsumption"), 6);
    assert.equal(fake.errorString(15), "GPU is lost");

    const power: number[] = [];
    for (let call = 0; call < 4; call++) {
      power.push(s.nvmlDeviceGetPowerUsage(handles[0]!, new Uint32Array(1)));
    }
    assert.deepEqual(power, [0, 999, 999, 0]);
    assert.equal(fake.calls("nvmlDeviceGetPowerUsage"), 4);
    assert.equal(fake.calls("nvmlDeviceGetHandleByIndex_v2"), 2);
    assert.equal(fake.calls("nvmlInit_v2"), 1);
    assert.equal(fake.calls("nvmlErrorString"), 1);
    assert.equal(fake.calls("*"), 1 + 2 + 6 + 4, "all calls but nvmlErrorString");
    assert.equal(fake.calls("nvmlNoSuchFunction"), 0);
  });
});

Deno.test("fault injection: '*' counts every call; FAKE_NVML_FAIL overrides the file; init can fail", () => {
  withFake({
    scenario: "fail = nvmlDeviceGetName:3\n",
    env: { FAKE_NVML_FAIL: "*:NO_PERMISSION:from=5" },
  }, (fake) => {
    const s = fake.s;
    fake.init(); // call 1
    assert.equal(s.nvmlDeviceGetCount_v2(new Uint32Array(1)), 0); // 2
    const h = fake.handle(0); // 3
    assert.equal(s.nvmlDeviceGetName(h, new Uint8Array(96), 96), 0, "the file's spec was replaced"); // 4
    assert.equal(fake.errorString(4), "Insufficient Permissions"); // not counted in '*'
    assert.equal(s.nvmlDeviceGetUUID(h, new Uint8Array(96), 96), 4); // 5
    assert.equal(s.nvmlDeviceGetCount_v2(new Uint32Array(1)), 4); // 6
    assert.equal(fake.calls("*"), 6);
  });
  withFake({ env: { FAKE_NVML_FAIL: "nvmlInit_v2:DRIVER_NOT_LOADED" } }, (fake) => {
    const s = fake.s;
    assert.equal(s.nvmlInit_v2(), 9);
    assert.equal(s.nvmlDeviceGetCount_v2(new Uint32Array(1)), 1, "still uninitialized");
    assert.equal(s.nvmlInit_v2(), 9);
    assert.equal(s.nvmlInitWithFlags!(0), 0, "a spec names one function");
    assert.equal(s.nvmlShutdown(), 0);
  });
  withFake({
    env: { FAKE_NVML_FAIL: "nvmlDeviceGetHandleByIndex_v2:NO_PERMISSION:gpu=1", FAKE_NVML_GPU_COUNT: "3" },
  }, (fake) => {
    const s = fake.s;
    fake.init();
    const out = new BigUint64Array(1);
    assert.deepEqual([0, 1, 2].map((i) => s.nvmlDeviceGetHandleByIndex_v2(i, out)), [0, 4, 0]);
  });
});

Deno.test("the scenario is re-read after a full shutdown; env overrides apply", () => {
  withFake({ scenario: "gpu_count = 3\nclock = monotonic\n", env: { FAKE_NVML_GPU_COUNT: "2" } }, (fake) => {
    const s = fake.s;
    const count = new Uint32Array(1);
    fake.init();
    assert.equal(s.nvmlDeviceGetCount_v2(count), 0);
    assert.equal(count[0], 2, "FAKE_NVML_GPU_COUNT wins over the file");

    Deno.env.delete("FAKE_NVML_GPU_COUNT");
    fake.init(); // refcount 2: no re-read
    assert.equal(s.nvmlShutdown(), 0);
    assert.equal(s.nvmlDeviceGetCount_v2(count), 0);
    assert.equal(count[0], 2);
    assert.equal(s.nvmlShutdown(), 0);

    Deno.writeTextFileSync(fake.scenarioPath, "gpu_count = 4\nclock = manual\n");
    fake.init();
    assert.equal(s.nvmlDeviceGetCount_v2(count), 0);
    assert.equal(count[0], 4, "re-read after the full shutdown");
    fake.at(12.5);
    assert.equal(s.fakeNvmlTimeSeconds(), 12.5, "clock = manual now");
  });
});

Deno.test("clock = monotonic: time runs from the first init and the counter follows it", async () => {
  const fake = new Fake({ scenario: "energy_update_ms = 1\ngpu.0.energy_offset_mj = 0\n" });
  try {
    assert.equal(fake.s.fakeNvmlTimeSeconds(), 0, "no time before init");
    fake.init();
    const h = fake.handle(0);
    fake.at(1000); // ignored with the monotonic clock
    const t0 = fake.s.fakeNvmlTimeSeconds();
    assert.ok(t0 >= 0 && t0 < 5, `t0 = ${t0}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const e = fake.energy(h);
    const t1 = fake.s.fakeNvmlTimeSeconds();
    assert.ok(t1 >= t0 + 0.045, `t1 = ${t1}`);
    // 70 W = 70 mJ per ms, updated every ms: between 70 * floor(t0 ms) and 70 * t1 ms.
    assert.ok(e >= 70n * BigInt(Math.floor((t0 + 0.045) * 1000)), `energy ${e}`);
    assert.ok(e <= 70n * BigInt(Math.ceil(t1 * 1000)), `energy ${e}`);
  } finally {
    fake.close();
  }
});

Deno.test("old-driver variant: optional symbols are null, a required missing one makes dlopen throw", () => {
  const optional = [
    "nvmlDeviceGetCurrentClocksEventReasons",
    "nvmlDeviceGetTemperatureV",
    "nvmlDeviceGetMemoryInfo_v2",
    "nvmlDeviceGetComputeRunningProcesses_v3",
    "nvmlInitWithFlags",
  ] as const;
  withFake({ variant: OLD_DRIVER }, (fake) => {
    for (const name of optional) assert.equal(fake.s[name], null, name);
    fake.init();
    const h = fake.handle(0);
    const reasons = new BigUint64Array(1);
    assert.equal(fake.s.nvmlDeviceGetCurrentClocksThrottleReasons(h, reasons), 0, "the old name is there");
    assert.equal(reasons[0], 1n);
    assert.equal(fake.s.nvmlDeviceGetMemoryInfo(h, new BigUint64Array(3)), 0);
    assert.equal(fake.s.nvmlDeviceGetTemperature(h, 0, new Uint32Array(1)), 0);
  });
  withFake({}, (fake) => {
    for (const name of optional) assert.equal(typeof fake.s[name], "function", `${name} in the full library`);
  });
  assert.throws(
    () =>
      Deno.dlopen(`${BUILD_DIR}${OLD_DRIVER}`, {
        nvmlDeviceGetTemperatureV: { parameters: [P, B], result: "i32" },
      }),
    /nvmlDeviceGetTemperatureV/,
  );
  const lib = Deno.dlopen(`${BUILD_DIR}${OLD_DRIVER}`, {
    nvmlDeviceGetTemperature: { parameters: [P, "i32", B], result: "i32" },
  });
  lib.close();
});

Deno.test("no-energy variant lacks nvmlDeviceGetTotalEnergyConsumption; field 83 still answers", () => {
  withFake({ variant: NO_ENERGY, env: { FAKE_NVML_CLOCK: "manual" } }, (fake) => {
    assert.equal(fake.s.nvmlDeviceGetTotalEnergyConsumption, null);
    fake.init();
    const buf = new Uint8Array(40);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, 83, true);
    assert.equal(fake.s.nvmlDeviceGetFieldValues(fake.handle(0), 1, buf), 0);
    assert.equal(dv.getInt32(28, true), 0);
    assert.equal(dv.getBigUint64(32, true), 1_000_000n);
  });
  assert.throws(() =>
    Deno.dlopen(`${BUILD_DIR}${NO_ENERGY}`, {
      nvmlDeviceGetTotalEnergyConsumption: { parameters: [P, B], result: "i32" },
    })
  );
});

Deno.test("build script: idempotent, and --omit/--out builds an ad-hoc variant", () => {
  const again = runBuild();
  assert.ok(again.success, text(again.stderr));
  const lines = text(again.stdout).trim().split("\n");
  assert.deepEqual(lines, [
    "up to date: build/fake_nvml/libnvidia-ml.so.1",
    "up to date: build/fake_nvml/libnvidia-ml-old-driver.so",
    "up to date: build/fake_nvml/libnvidia-ml-no-energy.so",
  ]);

  const dir = Deno.makeTempDirSync({ prefix: "fake_nvml_build_" });
  try {
    const out = `${dir}/custom.so`;
    const built = runBuild(["--omit", "nvmlDeviceGetPowerUsage,nvmlDeviceGetFieldValues", "--out", out]);
    assert.ok(built.success, text(built.stderr));
    assert.match(
      text(built.stdout),
      /built: .*custom\.so \(without nvmlDeviceGetPowerUsage,nvmlDeviceGetFieldValues\)/,
    );
    const rebuilt = runBuild(["--omit", "nvmlDeviceGetPowerUsage,nvmlDeviceGetFieldValues", "--out", out]);
    assert.match(text(rebuilt.stdout), /up to date: .*custom\.so/);
    const lib = Deno.dlopen(out, {
      nvmlDeviceGetPowerUsage: { parameters: [P, B], result: "i32", optional: true },
      nvmlDeviceGetFieldValues: { parameters: [P, "i32", B], result: "i32", optional: true },
      nvmlInit_v2: { parameters: [], result: "i32" },
      nvmlShutdown: { parameters: [], result: "i32" },
    });
    try {
      assert.equal(lib.symbols.nvmlDeviceGetPowerUsage, null);
      assert.equal(lib.symbols.nvmlDeviceGetFieldValues, null);
      assert.equal(lib.symbols.nvmlInit_v2(), 0);
      assert.equal(lib.symbols.nvmlShutdown(), 0);
    } finally {
      lib.close();
    }

    const bad = runBuild(["--omit", "nvmlNoSuchThing", "--out", `${dir}/bad.so`]);
    assert.equal(bad.code, 2);
    assert.match(text(bad.stderr), /nvmlNoSuchThing/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a bad scenario: nvmlInit returns UNKNOWN and stderr names the key and line", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fake_nvml_bad_" });
  try {
    const good = `${dir}/good.conf`;
    Deno.writeTextFileSync(good, "gpu_count = 2\n");
    const probe = `${dir}/probe.ts`;
    // Runs in a child process so the library's stderr can be read: init once with the bad
    // scenario, then once more with a good one (a failed init leaves the library uninitialized).
    Deno.writeTextFileSync(
      probe,
      `const lib = Deno.dlopen(${JSON.stringify(`${BUILD_DIR}${FULL}`)}, {
  nvmlInit_v2: { parameters: [], result: "i32" },
  nvmlDeviceGetCount_v2: { parameters: ["buffer"], result: "i32" },
});
const first = lib.symbols.nvmlInit_v2();
const countAfterFailure = lib.symbols.nvmlDeviceGetCount_v2(new Uint32Array(1));
Deno.env.set("FAKE_NVML_SCENARIO", ${JSON.stringify(good)});
for (const key of ["FAKE_NVML_GPU_COUNT", "FAKE_NVML_FAIL", "FAKE_NVML_CLOCK"]) Deno.env.delete(key);
const second = lib.symbols.nvmlInit_v2();
const count = new Uint32Array(1);
lib.symbols.nvmlDeviceGetCount_v2(count);
console.log(JSON.stringify({ first, countAfterFailure, second, count: count[0] }));
`,
    );
    const cases: { name: string; file?: string; env?: Record<string, string>; expect: RegExp[] }[] = [
      {
        name: "unknown key",
        file: "gpu_count = 1\n\n# comment\ngpu.0.powr = const:1\n",
        expect: [/line 4/, /gpu\.0\.powr/],
      },
      {
        name: "bad trace",
        file: "gpu.0.power = const:abc\n",
        expect: [/line 1/, /'gpu\.0\.power'/, /const:abc/],
      },
      { name: "no '='", file: "# x\ngpu_count 2\n", expect: [/line 2/, /key = value/] },
      {
        name: "decreasing points",
        file: "gpu.0.power = points:0:1,2:1,1:1\n",
        expect: [/line 1/, /point 3/],
      },
      {
        name: "bad fail spec",
        file: "fail = nvmlDeviceGetFoo:3\n",
        expect: [/line 1/, /'fail'/, /nvmlDeviceGetFoo/],
      },
      { name: "gpu index", file: "gpu.16.name = x\n", expect: [/line 1/, /gpu\.16\.name/, /out of range/] },
      { name: "bad throttle", file: "gpu.0.throttle = 1-2\n", expect: [/'gpu\.0\.throttle'/] },
      {
        name: "env override",
        env: { FAKE_NVML_GPU_COUNT: "0" },
        expect: [/FAKE_NVML_GPU_COUNT/, /'gpu_count'/],
      },
      { name: "env clock", env: { FAKE_NVML_CLOCK: "wallclock" }, expect: [/FAKE_NVML_CLOCK/, /'clock'/] },
      { name: "missing file", env: { FAKE_NVML_SCENARIO: `${dir}/nope.conf` }, expect: [/nope\.conf/] },
    ];
    await Promise.all(cases.map(async (c, i) => {
      // Unset (empty) unless the case sets them.
      const env: Record<string, string> = {
        FAKE_NVML_SCENARIO: "",
        FAKE_NVML_GPU_COUNT: "",
        FAKE_NVML_FAIL: "",
        FAKE_NVML_CLOCK: "",
        ...c.env,
      };
      if (c.file !== undefined) {
        env.FAKE_NVML_SCENARIO = `${dir}/case${i}.conf`;
        Deno.writeTextFileSync(env.FAKE_NVML_SCENARIO, c.file);
      }
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-ffi", "--allow-env", "--allow-read", probe],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = text(child.stderr);
      assert.ok(child.success, `${c.name}: ${stderr}`);
      assert.deepEqual(
        JSON.parse(text(child.stdout)),
        { first: 999, countAfterFailure: 1, second: 0, count: 2 },
        c.name,
      );
      assert.match(stderr, /^fake_nvml: /, c.name);
      for (const pattern of c.expect) assert.match(stderr, pattern, `${c.name}: ${stderr}`);
    }));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
