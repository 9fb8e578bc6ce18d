/**
 * The GPU layer through the real FFI path, against the C stand-in for libnvidia-ml (tests/fake_nvml):
 * discovery, readings, energy accuracy against the scenario's exact integral, old drivers, faults,
 * the sampler worker, and the gpus / doctor / monitor / baseline commands as processes.
 */
import assert from "node:assert/strict";
import { openNvmlGpuSystem } from "../src/gpu/nvml_gpu_system.ts";
import { GpuLost } from "../src/gpu/gpu_lost.ts";
import { GpuSampler } from "../src/gpu/gpu_sampler.ts";
import type { GpuSystem } from "../src/gpu/gpu.ts";
import { windowEnergy } from "../src/measure/window_energy.ts";
import { fakeNvmlLibrary } from "./fake_nvml_library.ts";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";

const repo = new URL("../", import.meta.url).pathname;
const FULL = fakeNvmlLibrary("full");
const OLD_DRIVER = fakeNvmlLibrary("old-driver");
const NO_ENERGY = fakeNvmlLibrary("no-energy");

/** Run `body` with a scenario file and fake-NVML environment variables set, then restore them. */
async function withScenario<T>(
  scenario: string,
  env: Record<string, string>,
  body: (scenarioPath: string) => Promise<T> | T,
): Promise<T> {
  const path = Deno.makeTempFileSync({ suffix: ".scenario" });
  Deno.writeTextFileSync(path, scenario);
  const all = { FAKE_NVML_SCENARIO: path, ...env };
  for (const [key, value] of Object.entries(all)) Deno.env.set(key, value);
  try {
    return await body(path);
  } finally {
    for (const key of Object.keys(all)) Deno.env.delete(key);
    Deno.removeSync(path);
  }
}

/** The stand-in's manual clock, through its test hook (same loaded library, same state). */
function manualClock(libraryPath: string) {
  const hooks = Deno.dlopen(
    libraryPath,
    {
      fakeNvmlSetTimeSeconds: { parameters: ["f64"], result: "void" },
    } as const,
  );
  return {
    set: (seconds: number) => hooks.symbols.fakeNvmlSetTimeSeconds(seconds),
    close: () => hooks.close(),
  };
}

function withSystem<T>(libraryPath: string, body: (system: GpuSystem) => T): T {
  const system = openNvmlGpuSystem(libraryPath);
  try {
    return body(system);
  } finally {
    system.close();
  }
}

Deno.test("openNvmlGpuSystem() discovers each GPU as the scenario describes it", async () => {
  const scenario = [
    "gpu_count = 2",
    "driver_version = 550.54.15",
    "cuda_version = 12040",
    "gpu.1.name = NVIDIA A100-SXM4-40GB",
    "gpu.1.uuid = GPU-11111111-2222-3333-4444-555555555555",
    "gpu.1.pci_bus_id = 00000000:81:00.0",
    "gpu.1.memory_total_mib = 40960",
    "gpu.1.compute_capability = 8.0",
    "gpu.1.power_limit_w = 400",
    "gpu.1.enforced_power_limit_w = 350",
    "gpu.1.persistence = 0",
    "gpu.1.mig = 1",
  ].join("\n");
  await withScenario(scenario, {}, () =>
    withSystem(FULL, (system) => {
      assert.equal(system.driverVersion, "550.54.15");
      assert.equal(system.cudaDriverVersion, "12.4");
      assert.equal(system.gpus.length, 2);
      assert.deepEqual(system.gpus[1]!.info, {
        index: 1,
        uuid: "GPU-11111111-2222-3333-4444-555555555555",
        pciBusId: "00000000:81:00.0",
        name: "NVIDIA A100-SXM4-40GB",
        memoryTotalBytes: 40960 * 2 ** 20,
        computeCapability: "8.0",
        powerLimitWatts: 400,
        enforcedPowerLimitWatts: 350,
        persistenceMode: false,
        migMode: true,
        capabilities: {
          energyCounter: true,
          instantPowerField: true,
          clockEventReasons: true,
          utilization: true,
        },
      });
    }));
});

Deno.test("the energy counter difference equals the trace's exact integral (square wave)", async () => {
  const scenario = "clock = manual\nenergy_update_ms = 10\ngpu.0.power = square:100:300:1\n";
  await withScenario(scenario, {}, () =>
    withSystem(FULL, (system) => {
      const clock = manualClock(FULL);
      try {
        const gpu = system.gpus[0]!;
        for (const [start, end, exact] of [[0.25, 5.25, 1000], [0.5, 1, 50], [0.1, 30.1, 6000]] as const) {
          clock.set(start);
          const first = gpu.readEnergyJoules()!;
          clock.set(end);
          const last = gpu.readEnergyJoules()!;
          // Within one counter quantum (1 mJ) of the exact integral.
          assert.ok(
            Math.abs(last - first - exact) <= 0.001 + 1e-9,
            `[${start}, ${end}]: ${last - first} J vs ${exact}`,
          );
        }
      } finally {
        clock.close();
      }
    }));
});

Deno.test("counter and integrated power agree on a ramp sampled at 10 ms, through windowEnergy", async () => {
  const scenario = "clock = manual\nenergy_update_ms = 10\ngpu.0.power = ramp:100:400:4\n";
  await withScenario(scenario, {}, () =>
    withSystem(FULL, (system) => {
      const clock = manualClock(FULL);
      try {
        const gpu = system.gpus[0]!;
        const samples = [];
        for (let i = 0; i <= 400; i++) {
          clock.set(i / 100);
          samples.push(gpu.sample(i / 100));
        }
        const energy = windowEnergy({
          startSeconds: 0,
          endSeconds: 4,
          counterStart: { timeSeconds: 0, energyJoules: samples[0]!.energyJoules! },
          counterEnd: { timeSeconds: 4, energyJoules: samples.at(-1)!.energyJoules! },
          counterUpdatePeriodSeconds: 0.01,
          powerSamples: samples.map((s) => ({ timeSeconds: s.timeSeconds, powerWatts: s.powerWatts! })),
        });
        // Exact: (100 + 400) / 2 W x 4 s = 1000 J.
        assert.equal(energy.method, "nvml_energy_counter");
        assert.ok(Math.abs(energy.counterEnergyJoules! - 1000) <= 0.002, `${energy.counterEnergyJoules}`);
        assert.ok(Math.abs(energy.integratedEnergyJoules! - 1000) < 0.5, `${energy.integratedEnergyJoules}`);
        assert.deepEqual(energy.warnings, []);
      } finally {
        clock.close();
      }
    }));
});

Deno.test("power comes from the instant field; without it, from the averaged reading, and says so", async () => {
  const scenario = "clock = manual\npower_semantics = average\ngpu.0.power = points:0:100,1:100,1:500\n";
  await withScenario(scenario, {}, () =>
    withSystem(FULL, (system) => {
      const clock = manualClock(FULL);
      try {
        clock.set(1.5);
        assert.deepEqual(system.gpus[0]!.readPowerWatts(), { powerWatts: 500, source: "instant_field" });
      } finally {
        clock.close();
      }
    }));
  await withScenario(
    scenario,
    { FAKE_NVML_FAIL: "nvmlDeviceGetFieldValues:3" },
    () =>
      withSystem(FULL, (system) => {
        const clock = manualClock(FULL);
        try {
          clock.set(1.5);
          const gpu = system.gpus[0]!;
          assert.equal(gpu.info.capabilities.instantPowerField, false);
          // The 1 s average over [0.5, 1.5]: half at 100 W, half at 500 W.
          assert.deepEqual(gpu.readPowerWatts(), { powerWatts: 300, source: "power_usage" });
        } finally {
          clock.close();
        }
      }),
  );
});

Deno.test("an old driver without newer entry points still loads, with the fallbacks", async () => {
  await withScenario("gpu.0.throttle = 0-100:0x40\n", {}, () =>
    withSystem(OLD_DRIVER, (system) => {
      const gpu = system.gpus[0]!;
      // Clock-event reasons come from the older ThrottleReasons call; memory from the v1 call.
      assert.equal(gpu.info.capabilities.clockEventReasons, true);
      assert.equal(gpu.sample(0).clockEventReasons, 0x40n);
      assert.ok(gpu.sample(0).memoryUsedBytes !== null);
      assert.throws(() => gpu.runningProcesses(), /NVML_ERROR_FUNCTION_NOT_FOUND/);
    }));
});

Deno.test("a GPU without an energy counter reads null energy, never zero, and integrates power", async () => {
  await withScenario("", {}, () =>
    withSystem(NO_ENERGY, (system) => {
      const gpu = system.gpus[0]!;
      assert.equal(gpu.info.capabilities.energyCounter, false);
      assert.equal(gpu.readEnergyJoules(), null);
      assert.equal(gpu.sample(0).energyJoules, null);
    }));
  await withScenario(
    "gpu.0.energy_supported = 0\n",
    {},
    () => withSystem(FULL, (system) => assert.equal(system.gpus[0]!.info.capabilities.energyCounter, false)),
  );
});

Deno.test("transient read errors are counted, not fatal", async () => {
  await withScenario(
    "",
    { FAKE_NVML_FAIL: "nvmlDeviceGetClockInfo:3:from=3:until=4" },
    () =>
      withSystem(FULL, (system) => {
        const gpu = system.gpus[0]!;
        const samples = [gpu.sample(0), gpu.sample(1), gpu.sample(2)];
        assert.deepEqual(samples.map((s) => s.errorCount), [0, 2, 0]);
        assert.equal(samples[1]!.smClockMhz, null);
        assert.equal(samples[2]!.smClockMhz, 1980);
      }),
  );
});

Deno.test("the sampler keeps its interval and labels phases", async () => {
  await withScenario("gpu_count = 2\n", {}, async () => {
    const uuids = withSystem(FULL, (system) => system.gpus.map((g) => g.info.uuid));
    const sampler = await GpuSampler.start({ libraryPath: FULL, uuids, intervalMs: 20, phase: "baseline" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    sampler.setPhase("measure");
    await new Promise((resolve) => setTimeout(resolve, 400));
    const timing = await sampler.stop();
    const samples = sampler.drain();
    assert.ok(timing.rounds >= 10, `${timing.rounds} rounds`);
    // Timing precision is a benchmark matter; here only that the schedule is the configured one, not drifting.
    assert.ok(
      timing.meanIntervalMs > 19 && timing.meanIntervalMs < 40,
      `mean interval ${timing.meanIntervalMs} ms`,
    );
    assert.equal(samples.length, timing.rounds * 2);
    assert.deepEqual(new Set(samples.map((s) => s.uuid)), new Set(uuids));
    assert.equal(samples[0]!.phase, "baseline");
    assert.equal(samples.at(-1)!.phase, "measure");
    const times = samples.filter((s) => s.uuid === uuids[0]).map((s) => s.timeSeconds);
    assert.ok(times.every((t, i) => i === 0 || t > times[i - 1]!), "sample times increase");
    assert.equal(timing.errorCount, 0);
  });
});

Deno.test("flush() delivers every sample taken so far, without waiting for the worker's next batch", async () => {
  await withScenario("gpu_count = 1\n", {}, async () => {
    const uuids = withSystem(FULL, (system) => system.gpus.map((g) => g.info.uuid));
    const sampler = await GpuSampler.start({ libraryPath: FULL, uuids, intervalMs: 10, phase: "idle" });
    try {
      sampler.drain();
      sampler.setPhase("measure");
      await new Promise((resolve) => setTimeout(resolve, 60));
      const closed = performance.timeOrigin + performance.now();
      await sampler.flush();
      const measured = sampler.drain().filter((s) => s.phase === "measure");
      // Batches go out every 200 ms; without the flush these 60 ms of samples would still be in the worker.
      assert.ok(measured.length >= 3, `${measured.length} measure samples`);
      assert.ok(
        measured.at(-1)!.timeSeconds * 1000 >= closed - 15,
        "the last sample is from the window's end",
      );
    } finally {
      await sampler.stop();
    }
  });
});

Deno.test("the sampler stops cleanly and names the GPU that was lost mid-run", async () => {
  await withScenario(
    "gpu_count = 2\n",
    { FAKE_NVML_FAIL: "nvmlDeviceGetTemperature:15:from=10:gpu=1" },
    async () => {
      const uuids = withSystem(FULL, (system) => system.gpus.map((g) => g.info.uuid));
      const sampler = await GpuSampler.start({ libraryPath: FULL, uuids, intervalMs: 10 });
      const deadline = Date.now() + 5000;
      while (!sampler.failure && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(sampler.failure, "the sampler noticed the lost GPU");
      assert.ok(sampler.failure instanceof GpuLost);
      assert.equal(sampler.failure.details.uuid, uuids[1]);
      assert.equal(sampler.failure.details.nvmlFunction, "nvmlDeviceGetTemperature");
      assert.match(sampler.failure.message, /NVML_ERROR_GPU_IS_LOST/);
      await assert.rejects(() => sampler.stop(), /GPU_IS_LOST/);
      assert.ok(sampler.drain().length > 0, "samples taken before the loss are kept");
    },
  );
});

async function llem(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...LLEM_PERMISSIONS,
      `${repo}main.ts`,
      ...args,
    ],
    env: { LLEM_NVML_LIBRARY: FULL, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("llem gpus exits 3 with the fix when the driver is not loaded or access is denied", async () => {
  const unloaded = await llem(["gpus"], { FAKE_NVML_FAIL: "nvmlInit_v2:9" });
  assert.equal(unloaded.code, 3);
  assert.match(
    unloaded.stderr,
    /^error: NVML \(.*\) is not usable: NVML_ERROR_DRIVER_NOT_LOADED from nvmlInit_v2/,
  );
  assert.match(unloaded.stderr, /hint: load the NVIDIA kernel driver/);
  const denied = await llem(["gpus", "--json"], { FAKE_NVML_FAIL: "nvmlInit_v2:4" });
  assert.equal(denied.code, 3);
  assert.match(denied.stderr, /NVML_ERROR_NO_PERMISSION/);
});

Deno.test("llem gpus --json lists the scenario's GPUs; an unknown GPU is exit 2", async () => {
  const result = await llem(["gpus", "--json"], { FAKE_NVML_GPU_COUNT: "3" });
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.gpus.length, 3);
  assert.equal(parsed.gpus[0].power_watts, 70);
  assert.equal(parsed.gpus[0].power_source, "instant_field");
  const unknown = await llem(["monitor", "--gpus", "5", "--duration", "1"], { FAKE_NVML_GPU_COUNT: "2" });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /cannot use GPU 5: this machine has 2 NVIDIA GPUs \(indices 0-1\)/);
});

Deno.test("llem monitor --json prints one line per GPU sample with energy since start", async () => {
  await withScenario("gpu.0.power = const:250\n", {}, async (scenarioPath) => {
    const result = await llem(["monitor", "--interval", "50", "--duration", "1", "--json"], {
      FAKE_NVML_SCENARIO: scenarioPath,
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(lines.length >= 5, `${lines.length} lines`);
    assert.ok(lines.every((l) => l.power_w === 250 && l.energy_method === "counter"));
    const last = lines.at(-1)!;
    const elapsed = last.time_s - lines[0].time_s;
    assert.ok(
      Math.abs(last.energy_since_start_j - 250 * elapsed) < 250 * 0.03,
      `${last.energy_since_start_j} J`,
    );
    assert.match(result.stderr, /^sampled \d+ rounds, mean interval \d+\.\d\d ms, jitter median/);
  });
});

Deno.test("llem monitor exits 4 and says which GPU was lost", async () => {
  const result = await llem(["monitor", "--interval", "10", "--duration", "3", "--json"], {
    FAKE_NVML_FAIL: "nvmlDeviceGetTotalEnergyConsumption:15:from=20",
  });
  assert.equal(result.code, 4);
  assert.match(
    result.stderr,
    /^error: GPU GPU-\S+ was lost: nvmlDeviceGetTotalEnergyConsumption failed: NVML_ERROR_GPU_IS_LOST/,
  );
  assert.match(result.stderr, /^hint: check the GPU with nvidia-smi/m);
});

Deno.test("llem baseline measures, caches per UUID, then spot-checks the cached value", async () => {
  const cache = Deno.makeTempDirSync();
  try {
    await withScenario("gpu.0.power = const:61.5\n", {}, async (scenarioPath) => {
      const env = { FAKE_NVML_SCENARIO: scenarioPath, LLEM_CACHE_DIR: cache };
      const first = await llem(["baseline", "--duration", "1", "--json"], env);
      assert.equal(first.code, 0, first.stderr);
      const measured = JSON.parse(first.stdout).baselines[0];
      assert.equal(measured.status, "measured");
      assert.equal(measured.method, "energy_counter");
      // A 1 s baseline: the 10 ms counter quantum alone allows 1%, plus host timing jitter.
      assert.ok(Math.abs(measured.powerWatts - 61.5) < 61.5 * 0.02, `${measured.powerWatts} W`);
      const second = await llem(["baseline", "--duration", "1", "--spot-check", "0.5", "--json"], env);
      const cached = JSON.parse(second.stdout).baselines[0];
      assert.equal(cached.status, "cached");
      assert.ok(Math.abs(cached.spotCheckWatts - 61.5) < 61.5 * 0.04, `${cached.spotCheckWatts} W`);
    });
    await withScenario("gpu.0.processes = 777:512\n", {}, async (scenarioPath) => {
      const busy = await llem(["baseline", "--duration", "1"], {
        FAKE_NVML_SCENARIO: scenarioPath,
        LLEM_CACHE_DIR: cache,
      });
      assert.equal(busy.code, 3);
      assert.match(busy.stderr, /in use by process\(es\) 777/);
    });
  } finally {
    Deno.removeSync(cache, { recursive: true });
  }
});

Deno.test("llem doctor passes a ready fake machine's NVML checks and warns about a busy GPU", async () => {
  await withScenario(
    "gpu_count = 2\ngpu.1.processes = 4242:1024\ngpu.0.persistence = 0\n",
    {},
    async (scenarioPath) => {
      const result = await llem(["doctor", "--json"], { FAKE_NVML_SCENARIO: scenarioPath });
      const report = JSON.parse(result.stdout);
      assert.equal(report.ready, true);
      assert.equal(result.code, 0);
      const warnings = report.checks.filter((c: { status: string }) => c.status === "warn").map((
        c: { detail: string },
      ) => c.detail);
      assert.ok(warnings.some((w: string) => /4242 \(1024 MiB\)/.test(w)));
      assert.ok(warnings.some((w: string) => /persistence mode is off/.test(w)));
      const named = (name: string) => report.checks.find((c: { name: string }) => c.name === name);
      assert.match(named("llem").detail, new RegExp(`^runs from a checkout \\(${repo}main\\.ts\\)`));
      assert.equal(named("cache").status, "ok");
    },
  );
});

Deno.test("a library lacking a required NVML symbol is exit 3, naming the symbol", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const variant = `${dir}/libnvidia-ml-no-power.so`;
    const build = await new Deno.Command("bash", {
      args: [`${repo}scripts/build_fake_nvml.sh`, "--omit", "nvmlDeviceGetPowerUsage", "--out", variant],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(build.success, new TextDecoder().decode(build.stderr));
    const result = await llem(["gpus"], { LLEM_NVML_LIBRARY: variant });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /lacks the required symbol nvmlDeviceGetPowerUsage/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
