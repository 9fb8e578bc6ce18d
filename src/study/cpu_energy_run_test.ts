/** CPU and DRAM energy (Linux RAPL) in a run: at the window's edges, through counter wraps, or why none. */
import assert from "node:assert/strict";
import type { FakeClock } from "../../tests/fake_gpu_system.ts";
import { quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";

const near = (actual: number | null | undefined, expected: number) =>
  assert.ok(
    actual != null && Math.abs(actual - expected) < 1e-6 * Math.max(1, expected),
    `${actual} vs ${expected}`,
  );

Deno.test("a run records its CPU package and DRAM energy over the whole window, and a CPU timeseries", async () => {
  await withFakeStudy(quickExperiment("  timeseries: true"), {}, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    const [result] = outcome.experiments;
    const window = result!.energy_breakdown!.window_duration_s;
    const cpu = result!.energy_breakdown!.cpu_energy!;
    near(cpu.package_j, 40 * window);
    near(cpu.dram_j, 8 * window);
    assert.equal(cpu.method, "rapl_powercap");
    assert.equal(cpu.unavailable_reason, null);
    assert.deepEqual(cpu.domains.map((d) => [d.domain, d.name, d.socket]), [
      ["intel-rapl:0", "package-0", 0],
      ["intel-rapl:0:0", "dram", 0],
    ]);
    const [rows] = [...world.files.cpuTimeseries.values()];
    assert.ok(rows && rows.length >= 2 * 3, "the run's first reading and the window's two edges, per domain");
    assert.equal(world.clock.timers, 0, "the CPU reads stop with the run");
  });
});

Deno.test("counters that wrap several times in a window are counted through the reads in between", async () => {
  let clock: FakeClock | null = null;
  // 40 W on a counter that wraps at 100 J: a wrap every 2.5 s, a read every second.
  await withFakeStudy(quickExperiment(), {
    cpu: { wrapJoules: 100 },
    before: (world) => clock = world.clock,
    scripts: [{
      onWindow: () => {
        for (let second = 0; second < 20; second++) {
          clock!.advance(1);
          clock!.tick();
        }
      },
    }],
  }, (outcome) => {
    assert.equal(outcome.status, "completed");
    const breakdown = outcome.experiments[0]!.energy_breakdown!;
    assert.ok(breakdown.window_duration_s > 20);
    near(breakdown.cpu_energy!.package_j, 40 * breakdown.window_duration_s);
    near(breakdown.cpu_energy!.dram_j, 8 * breakdown.window_duration_s);
  });
});

Deno.test("without readable counters, CPU energy is null with the reason, never zero, and no CPU timeseries", async () => {
  await withFakeStudy(quickExperiment("  timeseries: true"), { cpu: "none" }, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    assert.deepEqual(outcome.experiments[0]!.energy_breakdown!.cpu_energy, {
      package_j: null,
      dram_j: null,
      domains: [],
      method: null,
      unavailable_reason: "no powercap interface (a test without CPU energy)",
    });
    assert.equal(world.files.cpuTimeseries.size, 0);
  });
});

Deno.test("a run without a timeseries writes no CPU timeseries, and still measures CPU energy", async () => {
  await withFakeStudy(quickExperiment("  timeseries: false"), {}, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    assert.ok(outcome.experiments[0]!.energy_breakdown!.cpu_energy!.package_j! > 0);
    assert.equal(world.files.cpuTimeseries.size, 0);
  });
});
