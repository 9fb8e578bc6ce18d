/**
 * llem beside its peers on the same NVML stand-in traces: Zeus's ZeusMonitor windows and CodeCarbon's task
 * windows (from the environment of scripts/parity/peers_venv.sh; skipped, visibly, without it) and llem's
 * own counter reads, on a square wave, a ramp and steps, on a manual clock so that every window is exact; each tool's energy
 * error against the exact integral. Then each tool's CPU while a 5 s window is open on the real clock.
 * Part of `deno task bench`.
 *   deno run -A scripts/bench_peers.ts
 */
import { openNvmlGpuSystem } from "../src/gpu/nvml_gpu_system.ts";
import { peersPython, runPeer } from "./peers/run_peer.ts";
import { ramp, square, type Trace } from "./stand_in_traces.ts";

const repo = new URL("../", import.meta.url).pathname;
const LIBRARY = `${repo}build/fake_nvml/libnvidia-ml.so.1`;
const UPDATE_MS = 10;

const TRACES: Trace[] = [
  square,
  ramp,
  {
    name: "steps 80, 350, 150 W at 0, 2, 4 s",
    scenario: "gpu.0.power = points:0:80,1.999999:80,2:350,3.999999:350,4:150,100:150",
    exact(a, b) {
      const upTo = (t: number) => (t <= 2 ? 80 * t : t <= 4 ? 160 + 350 * (t - 2) : 860 + 150 * (t - 4));
      return upTo(b) - upTo(a);
    },
    maxWatts: 350,
  },
];
/** Windows [start, end], seconds, off the counter's update grid as real windows are. */
const WINDOWS: [number, number][] = [[0.1234, 0.6234], [0.1234, 1.1234], [1.5, 6.5], [0.1234, 30.1234]];

/** Run `body` with the path of a scenario file of `scenario` on a manual clock, removed afterwards. */
async function withScenario<T>(scenario: string, body: (path: string) => T | Promise<T>): Promise<T> {
  const path = Deno.makeTempFileSync();
  Deno.writeTextFileSync(path, `clock = manual\nenergy_update_ms = ${UPDATE_MS}\n${scenario}\n`);
  try {
    return await body(path);
  } finally {
    Deno.removeSync(path);
  }
}

/** llem's energy of each window: its counter reads at the edges, through its own NVML layer. */
function llemEnergies(scenario: string): Promise<number[]> {
  return withScenario(scenario, (path) => {
    Deno.env.set("FAKE_NVML_SCENARIO", path);
    const hooks = Deno.dlopen(LIBRARY, { fakeNvmlSetTimeSeconds: { parameters: ["f64"], result: "void" } });
    const system = openNvmlGpuSystem(LIBRARY);
    try {
      const gpu = system.gpus[0]!;
      return WINDOWS.map(([start, end]) => {
        hooks.symbols.fakeNvmlSetTimeSeconds(start);
        const first = gpu.readEnergyJoules()!;
        hooks.symbols.fakeNvmlSetTimeSeconds(end);
        return gpu.readEnergyJoules()! - first;
      });
    } finally {
      system.close();
      hooks.close();
      Deno.env.delete("FAKE_NVML_SCENARIO");
    }
  });
}

/** A peer's energy of each window (peer_windows.py gpu), on the stand-in's manual clock. */
function peerEnergies(tool: string, scenario: string): Promise<number[]> {
  return withScenario(
    scenario,
    async (path) => JSON.parse(await runPeer(["gpu", tool, LIBRARY, JSON.stringify(WINDOWS)], path)),
  );
}

/** A peer's process CPU while one window is open for 5 s on the real clock (peer_windows.py cost). */
function peerCost(tool: string): Promise<number> {
  return withScenario(
    "gpu.0.power = const:150",
    async (path) => Number(await runPeer(["cost", tool, "5"], path)),
  );
}

const pct = (error: number, exact: number) => `${error >= 0 ? "+" : ""}${(100 * error / exact).toFixed(3)}%`;

if (peersPython() === null) {
  console.log("\npeers: skipped (no environment: bash scripts/parity/peers_venv.sh)");
} else {
  const rows: string[][] = [];
  for (const trace of TRACES) {
    const llem = await llemEnergies(trace.scenario);
    const zeus = await peerEnergies("zeus", trace.scenario);
    const codecarbon = await peerEnergies("codecarbon", trace.scenario);
    for (const [i, [start, end]] of WINDOWS.entries()) {
      const exact = trace.exact(start, end);
      rows.push([
        trace.name,
        `${(end - start).toFixed(1)} s`,
        `${exact.toFixed(3)} J`,
        pct(llem[i]! - exact, exact),
        pct(zeus[i]! - exact, exact),
        pct(codecarbon[i]! - exact, exact),
      ]);
    }
  }
  console.log(
    `\nEnergy of a window against the exact integral (stand-in counter updates every ${UPDATE_MS} ms)`,
  );
  console.log("| trace | window | exact | llem | Zeus ZeusMonitor | CodeCarbon task |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  const [zeusCpu, codecarbonCpu] = [await peerCost("zeus"), await peerCost("codecarbon")];
  console.log(
    `\nProcess CPU while a window is open (5 s, real clock): Zeus ${(zeusCpu * 100).toFixed(3)}%, ` +
      `CodeCarbon ${(codecarbonCpu * 100).toFixed(3)}%`,
  );
  console.log(
    "(llem's sampler cost, recording a power timeseries beside the counter reads: scripts/bench_nvml.ts)",
  );
}
