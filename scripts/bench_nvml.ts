/**
 * NVML benchmarks against the C stand-in (no GPU needed):
 *  1. Energy accuracy: counter method and power integration at 10/100/1000 ms sampling, for windows of
 *     0.5, 1, 5 and 30 s on square-wave and ramp traces, against the exact integral computed here.
 *  2. Sampler cost: CPU time per second of sampling at 10/100/1000 Hz for 1 and 8 GPUs, achieved
 *     interval and jitter, beside a Python ctypes polling loop reading the same library: over the first
 *     seconds (V8 still compiling the sampling code) and in the steady state after a warm-up.
 *   deno run -A scripts/bench_nvml.ts [--seconds 5] [--warm 10]
 */
import { GpuSampler } from "../src/gpu/gpu_sampler.ts";
import { openNvmlGpuSystem } from "../src/gpu/nvml_gpu_system.ts";
import { integratePower } from "../src/measure/integrate_power.ts";
import { ramp, square } from "./stand_in_traces.ts";

const repo = new URL("../", import.meta.url).pathname;
const secondsArg = Deno.args.indexOf("--seconds");
const COST_SECONDS = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 5;
const warmArg = Deno.args.indexOf("--warm");
/** Seconds between the start-up measurement and the steady-state one. */
const WARM_SECONDS = warmArg >= 0 ? Number(Deno.args[warmArg + 1]) : 10;

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

/** Each thread's run time so far, seconds, by thread name (/proc/self/task/*: schedstat's first field). */
function cpuSecondsByThread(): Map<string, number> {
  // schedstat is in nanoseconds: finer than the 10 ms ticks of /proc/self/stat, which cannot resolve 1%.
  const threads = new Map<string, number>();
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const name = Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`).trim();
      const seconds = Number(Deno.readTextFileSync(`/proc/self/task/${task.name}/schedstat`).split(" ")[0]) /
        1e9;
      threads.set(`${task.name} ${name}`, seconds);
    } catch { /* the thread ended */ }
  }
  return threads;
}

/** CPU per wall second over `seconds`: the whole process, and the sampler's worker, the main thread, V8's. */
async function cpuOver(seconds: number) {
  const before = cpuSecondsByThread();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = cpuSecondsByThread();
  const wall = (performance.now() - started) / 1000;
  const share = { total: 0, worker: 0, main: 0, v8: 0 };
  for (const [thread, spent] of after) {
    const used = (spent - (before.get(thread) ?? 0)) / wall;
    share.total += used;
    if (/ worker-\d+$/.test(thread)) share.worker += used;
    else if (thread.endsWith(" deno")) share.main += used;
    else if (thread.includes(" V8 ")) share.v8 += used;
  }
  return share;
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
    // Measured after start-up (module loading, NVML init); then again once V8 has compiled the sampling
    // code, as it runs through a study's minutes and hours.
    const startup = await cpuOver(COST_SECONDS);
    sampler.drain();
    await new Promise((resolve) => setTimeout(resolve, WARM_SECONDS * 1000));
    sampler.drain();
    const steady = await cpuOver(COST_SECONDS);
    const timing = await sampler.stop();
    sampler.drain();
    return { startup, steady, timing };
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
console.log(
  `sampler cost over ${COST_SECONDS} s (CPU time of this whole process per wall second): at start-up, and ` +
    `steady after ${WARM_SECONDS} s more; the llem sampler reads energy, power, temperature, memory, two ` +
    "clocks, utilisation, throttle bits per GPU, as the Python loop does",
);
const costRows: string[][] = [];
const percent = (share: number) => `${(100 * share).toFixed(2)}%`;
for (const gpus of [1, 8]) {
  for (const hz of [10, 100, 1000]) {
    const llem = await llemSamplerCost(gpus, hz);
    const python = await pythonPollerCost(gpus, hz);
    const achievedHz = llem.timing.meanIntervalMs > 0 ? 1000 / llem.timing.meanIntervalMs : 0;
    const steady = llem.steady.total;
    costRows.push([
      String(gpus),
      `${hz} Hz`,
      percent(llem.startup.total),
      percent(steady),
      `${percent(llem.steady.worker)} / ${percent(llem.steady.main)} / ${percent(llem.steady.v8)}`,
      `${achievedHz.toFixed(1)} Hz`,
      `${llem.timing.medianJitterMs.toFixed(3)} / ${llem.timing.p99JitterMs.toFixed(3)} ms`,
      python === null ? "n/a" : percent(python),
      python === null || python === 0 ? "n/a" : (steady / python).toFixed(2),
      target(gpus, hz, { steady, python }),
    ]);
  }
}
printTable(
  [
    "GPUs",
    "rate",
    "llem start-up",
    "llem steady",
    "worker / main / V8",
    "achieved",
    "jitter p50 / p99",
    "python ctypes",
    "llem/python",
    "target",
  ],
  costRows,
);

/** Issue targets: 8 GPUs at 10 Hz under 0.3% and 3× cheaper than Python; at 100 Hz cheaper than Python. */
function target(gpus: number, hz: number, cost: { steady: number; python: number | null }): string {
  if (gpus !== 8 || (hz !== 10 && hz !== 100)) return "";
  if (cost.python === null) return "n/a (no python3)";
  const met = hz === 10 ? cost.steady < 0.003 && cost.steady * 3 <= cost.python : cost.steady < cost.python;
  const goal = hz === 10 ? "< 0.3% and <= python/3" : "< python";
  return `${met ? "met" : "MISSED"} (${goal})`;
}
