/**
 * CPU and DRAM energy (Linux RAPL) of llem beside Zeus and CodeCarbon, on one stand-in powercap tree whose
 * counters this process drives on the real clock: a package drawing 200 W and its DRAM 20 W, with counter
 * ranges small enough to wrap every 3 s (real ones take minutes, so a window that crosses a wrap is rare
 * but certain in a long study). Each tool opens the same windows, relative to its own start: one inside a
 * wrap period, one across a wrap, one that ends 30 ms after a wrap, one across four. Error against the
 * tool's own window length × the power; the counters move in 5 ms steps, so ±2 J is the noise floor.
 * Peers from scripts/parity/peers_venv.sh (skipped, visibly, without it). Part of `deno task bench`.
 *   deno run -A scripts/bench_peers_cpu.ts
 */
import { join } from "node:path";
import { cpuDomainEnergy, type CpuReading } from "../src/cpu/cpu_energy.ts";
import { openPowercap } from "../src/cpu/open_powercap.ts";
import { CPU_READ_INTERVAL_MS } from "../src/study/run_recording.ts";
import { peersPython, runPeer } from "./peers/run_peer.ts";
import { StandInPowercap } from "./stand_in_powercap.ts";

const PACKAGE_W = 200;
const DRAM_W = 20;
/** Both counters wrap every 3 s. */
const PACKAGE_RANGE_UJ = 600e6;
const DRAM_RANGE_UJ = 60e6;
const STEP_MS = 5;
/** Seconds from the tool's start: inside a wrap period, across one, ending 30 ms after one, across four. */
const WINDOWS: [number, number][] = [[0.5, 2.5], [2.7, 4.0], [5.5, 6.03], [6.5, 18.5]];

interface WindowEnergy {
  cpu_j: number;
  dram_j: number | null;
  seconds: number;
}

/** Drive the counters from `start` (Unix ms) until stop() is called. */
function driveCounters(powercap: StandInPowercap, start: number): { stop(): void } {
  const set = () => {
    const seconds = (Date.now() - start) / 1000;
    powercap.setMicrojoules("intel-rapl:0", PACKAGE_W * seconds * 1e6);
    powercap.setMicrojoules("intel-rapl:0:0", DRAM_W * seconds * 1e6);
  };
  set();
  const timer = setInterval(set, STEP_MS);
  return { stop: () => clearInterval(timer) };
}

function standIn(root: string): StandInPowercap {
  return StandInPowercap.create(root, [
    { id: "intel-rapl:0", name: "package-0", maxMicrojoules: PACKAGE_RANGE_UJ },
    { id: "intel-rapl:0:0", name: "dram", maxMicrojoules: DRAM_RANGE_UJ },
  ]);
}

/** llem's way: the counters at each edge and every CPU_READ_INTERVAL_MS between, wraps undone per step. */
async function llemWindows(classDir: string, start: number): Promise<WindowEnergy[]> {
  const source = openPowercap(classDir);
  const results: WindowEnergy[] = [];
  for (const [a, b] of WINDOWS) {
    await sleepUntil(start + a * 1000);
    const readings: CpuReading[] = [source.read(performance.now() / 1000)];
    const timer = setInterval(
      () => readings.push(source.read(performance.now() / 1000)),
      CPU_READ_INTERVAL_MS,
    );
    await sleepUntil(start + b * 1000);
    clearInterval(timer);
    readings.push(source.read(performance.now() / 1000));
    const [cpu, dram] = cpuDomainEnergy(source.domains, readings);
    results.push({
      cpu_j: cpu!.energyJoules!,
      dram_j: dram!.energyJoules,
      seconds: readings.at(-1)!.timeSeconds - readings[0]!.timeSeconds,
    });
  }
  return results;
}

function sleepUntil(unixMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, unixMs - Date.now())));
}

async function measure(tool: string): Promise<WindowEnergy[]> {
  const root = Deno.makeTempDirSync({ prefix: "llem-bench-rapl-" });
  try {
    const powercap = standIn(root);
    const start = Date.now() + 2000;
    const counters = driveCounters(powercap, start);
    try {
      if (tool === "llem") return await llemWindows(powercap.classDir, start);
      const output = await runPeer([
        "cpu",
        tool,
        join(powercap.classDir, "intel-rapl"),
        String(start / 1000),
        JSON.stringify(WINDOWS),
      ]);
      return JSON.parse(output);
    } finally {
      counters.stop();
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

const error = (measured: number | null, exact: number) =>
  measured === null ? "—" : `${measured - exact >= 0 ? "+" : ""}${(measured - exact).toFixed(1)} J`;

const WINDOW_NAMES = [
  "2 s, no wrap",
  "1.3 s, across a wrap",
  "0.53 s, ends 30 ms after a wrap",
  "12 s, four wraps",
];

if (peersPython() === null) {
  console.log("\nCPU energy beside the peers: skipped (no environment: bash scripts/parity/peers_venv.sh)");
} else {
  const tools = ["llem", "zeus", "codecarbon"];
  const measured: Record<string, WindowEnergy[]> = {};
  for (const tool of tools) measured[tool] = await measure(tool);
  console.log(
    `\nCPU package (${PACKAGE_W} W) and DRAM (${DRAM_W} W) energy of a window, error against power × the ` +
      `tool's window (counters wrap every 3 s, move in ${STEP_MS} ms steps: ±2 J is noise)`,
  );
  console.log("| window | llem package | llem DRAM | Zeus package | Zeus DRAM | CodeCarbon package |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  WINDOWS.forEach((_, i) => {
    const cells = tools.flatMap((tool) => {
      const w = measured[tool]![i]!;
      const cells = [error(w.cpu_j, PACKAGE_W * w.seconds)];
      if (tool !== "codecarbon") cells.push(error(w.dram_j, DRAM_W * w.seconds));
      return cells;
    });
    console.log(`| ${WINDOW_NAMES[i]} | ${cells.join(" | ")} |`);
  });
}
