/** One run on in-memory ports: each way it can fail, and the thermal floor before its window. */
import assert from "node:assert/strict";
import type { SessionFault } from "../../tests/fake_engine_session.ts";
import {
  eventsOf,
  type FakeWorld,
  quickExperiment,
  withFakeStudy,
} from "../../tests/study_runner_fixture.ts";

const threeRuns = `
name: runs
${quickExperiment()}
sweep:
  generation.max_new_tokens: [2, 4, 6]
`;

Deno.test("a failing engine fails only its run, with its type; the next run gets a fresh session", async () => {
  const cases: [SessionFault, string][] = [
    [{ on: "go", how: "exit" }, "EngineExited"],
    [{ on: "go", how: "oom" }, "EngineKilled"],
    [{ on: "go", how: "timeout" }, "Timeout"],
    [{ on: "go", how: "raise" }, "RuntimeError"],
    [{ on: "prepare", how: "raise" }, "RuntimeError"],
    [{ on: "configure", how: "exit" }, "EngineExited"],
  ];
  for (const [fault, type] of cases) {
    await withFakeStudy(threeRuns, { scripts: [{ fault }, {}] }, (outcome, world) => {
      const label = `${fault.how} on ${fault.on}`;
      assert.equal(outcome.status, "completed", label);
      assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), [
        "failed",
        "completed",
        "completed",
      ], label);
      const error = outcome.manifest.experiments[0]!.error!;
      assert.equal(error.type, type, label);
      assert.equal(world.sessions.sessions.length, 2, `${label}: one failed session, one fresh`);
      assert.notEqual(world.sessions.sessions[0]!.exitCode, null, `${label}: the failed session is gone`);
      assert.equal(eventsOf(world.events, "run_failed")[0]?.errorType, type, label);
      assert.equal(world.files.open, 0, `${label}: the failed run's timeseries was discarded`);
    });
  }
});

Deno.test("a full disk while writing a run ends the study as failed, later runs left pending", async () => {
  for (const where of ["timeseries", "requests"] as const) {
    await withFakeStudy(threeRuns, { before: (world) => world.files.diskFullOn = where }, (outcome) => {
      assert.equal(outcome.status, "failed", where);
      assert.deepEqual(
        outcome.manifest.experiments.map((r) => r.status),
        ["failed", "pending", "pending"],
        where,
      );
      assert.equal(outcome.manifest.experiments[0]!.error?.type, "DiskFull", where);
      assert.equal(outcome.manifest.status, "failed");
    });
  }
});

Deno.test("a GPU lost during a window ends the study as failed, the completed run intact", async () => {
  let loseGpu = () => {};
  await withFakeStudy(threeRuns, {
    scripts: [{ onWindow: (window) => window === 2 && loseGpu() }],
    before: (world) => loseGpu = () => world.system.gpus[0]!.loseAfter(0),
  }, (outcome) => {
    assert.equal(outcome.status, "failed");
    assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), ["completed", "failed", "pending"]);
    const error = outcome.manifest.experiments[1]!.error!;
    assert.equal(error.type, "GpuLost");
    assert.match(error.message, /GPU GPU-0 was lost: nvml\w+ failed: NVML_ERROR_GPU_IS_LOST/);
    assert.equal(outcome.experiments.length, 1);
  });
});

Deno.test("a dataset file that cannot be read fails its run as DatasetError, and the study goes on", async () => {
  const yaml = `
name: dataset
${quickExperiment()}
sweep:
  dataset: [{source: jsonl, path: missing.jsonl}, {source: synthetic}]
`;
  await withFakeStudy(yaml, {}, (outcome) => {
    assert.equal(outcome.status, "completed");
    const [bad, good] = outcome.manifest.experiments;
    assert.equal(bad!.error?.type, "DatasetError");
    assert.match(bad!.error!.message, /missing\.jsonl/);
    assert.equal(good!.status, "completed");
  });
});

const floorExperiment = (maxSeconds: number) => `
name: floor
${
  quickExperiment().replace("baseline: {enabled: false}", "baseline: {enabled: true, duration_seconds: 5}")
    .replace(
      "thermal_floor: {enabled: false}",
      `thermal_floor: {enabled: true, min_seconds: 1, max_seconds: ${maxSeconds}, margin_celsius: 3}`,
    )
}`;

Deno.test("the thermal floor waits until the GPU cools to its idle temperature before the window", async () => {
  let coolsAt = 0;
  await withFakeStudy(floorExperiment(60), {
    before: (world) => {
      // Idle at 40 °C through the baseline, 70 °C once it ends, back to 41 °C 12 s later.
      const gpu = world.system.gpus[0]!;
      const start = world.clock.nowSeconds();
      coolsAt = start + 5 + 12;
      gpu.temperatureAt = (t) => t <= start + 5 ? 40 : t < coolsAt ? 70 : 41;
    },
  }, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    const floor = outcome.experiments[0]!.thermal_throttle?.thermal_floor;
    assert.ok(floor, "the result records the wait");
    assert.deepEqual([floor.reached, floor.start_temperature_c, floor.end_temperature_c], [true, 70, 41]);
    assert.equal(floor.target_temperature_c, 43, "idle (40 °C) plus the margin");
    const windowSamples = [...world.files.timeseries.values()][0]!.filter((s) => s.phase === "measure");
    assert.ok(windowSamples.length > 0 && windowSamples.every((s) => s.timeSeconds >= coolsAt), "cool first");
    assert.ok(floor.waited_s >= 1, `waited ${floor.waited_s} s`);
    const phase = eventsOf(world.events, "phase").find((e) => e.phase === "thermal_floor");
    assert.match(phase!.detail, /waited \d+\.\d s/);
  });
});

Deno.test("a thermal floor not reached within max_seconds is a warning of the run, not a failure", async () => {
  await withFakeStudy(floorExperiment(10), {
    before: (world) => {
      const start = world.clock.nowSeconds();
      world.system.gpus[0]!.temperatureAt = (t) => t <= start + 5 ? 40 : 80;
    },
  }, (outcome) => {
    assert.equal(outcome.status, "completed");
    const result = outcome.experiments[0]!;
    assert.equal(result.thermal_throttle?.thermal_floor?.reached, false);
    assert.ok(result.measurement_warnings.some((w) => /thermal floor was not reached/.test(w)));
    assert.ok(outcome.manifest.summary.warnings.some((w) => /did not cool to 43 °C within 10 s/.test(w)));
  });
});

Deno.test("a process on the GPU during the window is a warning, unless it is the engine's own", async () => {
  let world: FakeWorld;
  const gpu = () => world.system.gpus[0]!;
  await withFakeStudy(quickExperiment(), {
    scripts: [{
      onMessage: (message) =>
        message.type === "configure" && gpu().processes.push({ pid: 111, usedMemoryBytes: 1e9 }),
      onWindow: () => gpu().processes.push({ pid: 999, usedMemoryBytes: 1e9 }),
    }],
    before: (w) => world = w,
  }, (outcome) => {
    const warnings = outcome.experiments[0]!.measurement_warnings;
    assert.ok(
      warnings.some((w) => /GPU GPU-0 had other process\(es\) during the window: 999$/.test(w)),
      warnings.join("\n"),
    );
  });
});

Deno.test("the window closes when the last token is in, however long the records take to reach llem", async () => {
  // 200 ms for a large done line (serialised, sent, parsed) at 100 W would add 20 J to the window.
  const oneRun = `name: edge\n${quickExperiment()}`;
  await withFakeStudy(oneRun, { scripts: [{ recordsTransferSeconds: 0.2 }] }, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    const result = outcome.experiments[0]!;
    const expected = 100 * result.energy_breakdown!.window_duration_s;
    assert.ok(
      Math.abs(result.total_energy_j / expected - 1) < 1e-4,
      `${result.total_energy_j} J over ${result.energy_breakdown!.window_duration_s} s at 100 W`,
    );
    const tokensSeconds = world.sessions.sessions[0]!.lastWindowSeconds!;
    assert.ok(Math.abs(result.energy_breakdown!.window_duration_s - tokensSeconds) < 1e-9);
  });
});
