/**
 * NVML benchmarks against the C stand-in (no GPU needed):
 *  1. Energy accuracy: counter method and power integration at 10/100/1000 ms sampling, for windows of
 *     0.5, 1, 5 and 30 s on square-wave and ramp traces, against the exact integral computed here.
 *  2. Sampler cost: CPU time per second of sampling at 10/100/1000 Hz for 1 and 8 GPUs, achieved
 *     interval and jitter, beside a Python ctypes polling loop reading the same library.
 *   deno run -A scripts/bench_nvml.ts [--seconds 5]
 */
import { GpuSampler } from "../src/gpu/gpu_sampler.ts";
import { openNvmlGpuSystem } from "../src/gpu/nvml_gpu_system.ts";
import { integratePower } from "../src/measure/integrate_power.ts";
import { ramp, square } from "./stand_in_traces.ts";

const repo = new URL("../", import.meta.url).pathname;
const secondsArg = Deno.args.indexOf("--seconds");
const COST_SECONDS = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 5;

const build = new Deno.Command("bash", { args: [`${repo}scripts/build_fake_nvml.sh`], stdout: "null" })
  .outputSync();
if (!build.success) throw new Error("scripts/build_fake_nvml.sh failed");
const LIBRARY = `${repo}build/fake_nvml/libnvidia-ml.so.1`;
const UPDATE_MS = 10;

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

// ---- 1. energy accuracy -------------------------------------------------------------------------

function accuracyRows(): string[][] {
  const rows: string[][] = [];
  const hooks = Deno.dlopen(
    LIBRARY,
    { fakeNvmlSetTimeSeconds: { parameters: ["f64"], result: "void" } } as const,
  );
  try {
    for (const trace of [square, ramp]) {
      const scenarioPath = Deno.makeTempFileSync();
      Deno.writeTextFileSync(
        scenarioPath,
        `clock = manual\nenergy_update_ms = ${UPDATE_MS}\n${trace.scenario}\n`,
      );
      Deno.env.set("FAKE_NVML_SCENARIO", scenarioPath);
      const system = openNvmlGpuSystem(LIBRARY);
      try {
        const gpu = system.gpus[0]!;
        for (const window of [0.5, 1, 5, 30]) {
          // Start off the counter's update grid, as real windows do.
          const start = 0.1234;
          const end = start + window;
          const exact = trace.exact(start, end);
          hooks.symbols.fakeNvmlSetTimeSeconds(start);
          const first = gpu.readEnergyJoules()!;
          hooks.symbols.fakeNvmlSetTimeSeconds(end);
          const counterError = gpu.readEnergyJoules()! - first - exact;
          // Target: one update quantum (max power x update period) plus 0.1%.
          const allowed = trace.maxWatts * UPDATE_MS / 1000 + 0.001 * exact;
          const cells = [trace.name, `${window} s`, `${exact.toFixed(3)} J`, pct(counterError, exact)];
          for (const intervalMs of [10, 100, 1000]) {
            const samples = [];
            // Samples on the interval grid, plus the window edges (the host samples at the window edges).
            const times = [start];
            for (
              let t = Math.ceil(start * 1000 / intervalMs) * intervalMs / 1000;
              t < end;
              t += intervalMs / 1000
            ) {
              if (t > start) times.push(t);
            }
            times.push(end);
            for (const t of times) {
              hooks.symbols.fakeNvmlSetTimeSeconds(t);
              samples.push({ timeSeconds: t, powerWatts: gpu.readPowerWatts().powerWatts });
            }
            const integrated = integratePower(samples, start, end).energyJoules!;
            cells.push(pct(integrated - exact, exact));
          }
          cells.push(Math.abs(counterError) <= allowed ? "ok" : "MISSED");
          rows.push(cells);
        }
      } finally {
        system.close();
        Deno.env.delete("FAKE_NVML_SCENARIO");
        Deno.removeSync(scenarioPath);
      }
    }
  } finally {
    hooks.close();
  }
  return rows;
}

function pct(error: number, exact: number): string {
  return `${error >= 0 ? "+" : ""}${(100 * error / exact).toFixed(3)}%`;
}

console.log(`energy accuracy against the exact integral (stand-in counter updates every ${UPDATE_MS} ms)`);
printTable(
  [
    "trace",
    "window",
    "exact",
    "counter",
    "integral 10 ms",
    "integral 100 ms",
    "integral 1000 ms",
    "counter target",
  ],
  accuracyRows(),
);

// ---- 2. sampler cost ----------------------------------------------------------------------------

function cpuSecondsOfSelf(): number {
  // Sum of every thread's run time in nanoseconds (/proc/self/task/*/schedstat, first field): finer
  // than the 10 ms ticks of /proc/self/stat, which cannot resolve a cost under 1%.
  let nanoseconds = 0;
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      nanoseconds += Number(Deno.readTextFileSync(`/proc/self/task/${task.name}/schedstat`).split(" ")[0]);
    } catch { /* the thread ended */ }
  }
  return nanoseconds / 1e9;
}

async function llemSamplerCost(gpus: number, hz: number) {
  const scenarioPath = Deno.makeTempFileSync();
  Deno.writeTextFileSync(scenarioPath, `gpu_count = ${gpus}\n`);
  Deno.env.set("FAKE_NVML_SCENARIO", scenarioPath);
  try {
    const system = openNvmlGpuSystem(LIBRARY);
    const uuids = system.gpus.map((g) => g.info.uuid);
    system.close();
    const sampler = await GpuSampler.start({ libraryPath: LIBRARY, uuids, intervalMs: 1000 / hz });
    // Measured after start-up (module loading, NVML init), for the steady state.
    const before = cpuSecondsOfSelf();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, COST_SECONDS * 1000));
    const spent = cpuSecondsOfSelf() - before;
    const wall = (performance.now() - started) / 1000;
    const timing = await sampler.stop();
    sampler.drain();
    return { cpuPerSecond: spent / wall, timing };
  } finally {
    Deno.env.delete("FAKE_NVML_SCENARIO");
    Deno.removeSync(scenarioPath);
  }
}

const PYTHON_POLLER = `
import ctypes, os, sys, time
lib = ctypes.CDLL(sys.argv[1]); gpus = int(sys.argv[2]); hz = float(sys.argv[3]); seconds = float(sys.argv[4])
assert lib.nvmlInit_v2() == 0
handles = []
for i in range(gpus):
    h = ctypes.c_void_p(); assert lib.nvmlDeviceGetHandleByIndex_v2(i, ctypes.byref(h)) == 0; handles.append(h)
energy = ctypes.c_ulonglong(); power = ctypes.c_uint(); temp = ctypes.c_uint(); clock = ctypes.c_uint()
mem = (ctypes.c_ulonglong * 3)(); util = (ctypes.c_uint * 2)(); reasons = ctypes.c_ulonglong()
start_cpu = time.process_time(); start = time.monotonic(); due = start; rounds = 0
while time.monotonic() - start < seconds:
    for h in handles:
        lib.nvmlDeviceGetTotalEnergyConsumption(h, ctypes.byref(energy)); lib.nvmlDeviceGetPowerUsage(h, ctypes.byref(power))
        lib.nvmlDeviceGetTemperature(h, 0, ctypes.byref(temp)); lib.nvmlDeviceGetMemoryInfo(h, mem)
        lib.nvmlDeviceGetClockInfo(h, 1, ctypes.byref(clock)); lib.nvmlDeviceGetClockInfo(h, 2, ctypes.byref(clock))
        lib.nvmlDeviceGetUtilizationRates(h, util); lib.nvmlDeviceGetCurrentClocksEventReasons(h, ctypes.byref(reasons))
    rounds += 1; due += 1.0 / hz; delay = due - time.monotonic()
    if delay > 0: time.sleep(delay)
print(f"{(time.process_time() - start_cpu) / (time.monotonic() - start)} {rounds}")
`;

async function pythonPollerCost(gpus: number, hz: number): Promise<number | null> {
  const scenarioPath = Deno.makeTempFileSync();
  Deno.writeTextFileSync(scenarioPath, `gpu_count = ${gpus}\n`);
  try {
    const output = await new Deno.Command("python3", {
      args: ["-c", PYTHON_POLLER, LIBRARY, String(gpus), String(hz), String(COST_SECONDS)],
      env: { FAKE_NVML_SCENARIO: scenarioPath },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) return null;
    return Number(new TextDecoder().decode(output.stdout).split(" ")[0]);
  } catch {
    return null;
  } finally {
    Deno.removeSync(scenarioPath);
  }
}

console.log();
console.log(`sampler cost over ${COST_SECONDS} s each (CPU time of this whole process per wall second; the`);
console.log(
  "llem sampler reads energy, power, temperature, memory, two clocks, utilisation, throttle bits per GPU)",
);
const costRows: string[][] = [];
for (const gpus of [1, 8]) {
  for (const hz of [10, 100, 1000]) {
    const llem = await llemSamplerCost(gpus, hz);
    const python = await pythonPollerCost(gpus, hz);
    const achievedHz = llem.timing.meanIntervalMs > 0 ? 1000 / llem.timing.meanIntervalMs : 0;
    costRows.push([
      String(gpus),
      `${hz} Hz`,
      `${(100 * llem.cpuPerSecond).toFixed(2)}%`,
      `${achievedHz.toFixed(1)} Hz`,
      `${llem.timing.medianJitterMs.toFixed(3)} ms`,
      `${llem.timing.p99JitterMs.toFixed(3)} ms`,
      python === null ? "n/a" : `${(100 * python).toFixed(2)}%`,
      python === null || python === 0 ? "n/a" : (llem.cpuPerSecond / python).toFixed(2),
      gpus === 8 && hz === 10 ? (llem.cpuPerSecond < 0.01 ? "ok (< 1%)" : "MISSED (>= 1%)") : "",
    ]);
  }
}
printTable(
  [
    "GPUs",
    "rate",
    "llem CPU",
    "achieved",
    "jitter p50",
    "jitter p99",
    "python ctypes CPU",
    "llem/python",
    "target",
  ],
  costRows,
);
