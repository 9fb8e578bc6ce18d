/**
 * The stand-ins against llem's real peers: Zeus's ZeusMonitor and CodeCarbon's tracker (from
 * scripts/parity/peers_venv.sh; skipped, visibly, without it) load the NVML stand-in through their own NVML
 * bindings and measure the windows the benchmark compares. A stand-in that lacked a call they make, or
 * answered it wrongly, fails here rather than silently in `deno task bench`.
 */
import assert from "node:assert/strict";
import { peersPython, runPeer } from "../scripts/peers/run_peer.ts";

const LIBRARY = new URL("../build/fake_nvml/libnvidia-ml.so.1", import.meta.url).pathname;
const WINDOWS: [number, number][] = [[0.1234, 0.6234], [1.5, 6.5]];

for (const tool of ["zeus", "codecarbon"]) {
  Deno.test({
    name: `${tool} measures the NVML stand-in's windows to within a counter step of the exact energy`,
    ignore: peersPython() === null,
    fn: async () => {
      const scenario = Deno.makeTempFileSync();
      try {
        Deno.writeTextFileSync(scenario, "clock = manual\nenergy_update_ms = 10\ngpu.0.power = const:150\n");
        const energies: number[] = JSON.parse(
          await runPeer(["gpu", tool, LIBRARY, JSON.stringify(WINDOWS)], scenario),
        );
        // 150 W, windows off the counter's 10 ms grid: each edge is within one step (1.5 J) of exact.
        WINDOWS.forEach(([start, end], i) => {
          const exact = 150 * (end - start);
          assert.ok(
            Math.abs(energies[i]! - exact) <= 1.5,
            `${tool} window ${i}: ${energies[i]} vs ${exact} J`,
          );
        });
      } finally {
        Deno.removeSync(scenario);
      }
    },
  });
}
