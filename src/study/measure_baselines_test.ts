/** Which idle baseline a study subtracts: cached and spot-checked, or measured, on in-memory ports. */
import assert from "node:assert/strict";
import { eventsOf, quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";
import type { FakeWorld } from "../../tests/study_runner_fixture.ts";
import { writeCachedBaseline } from "./baseline_cache.ts";

const withBaseline = (strategy = "cached") => `
name: baseline
${
  quickExperiment().replace(
    "baseline: {enabled: false}",
    `baseline: {enabled: true, strategy: ${strategy}, duration_seconds: 10, spot_check_seconds: 2}`,
  )
}`;

/** The GPU idles at 60 W and draws 200 W while the engine generates. */
const idleAt60 = { watts: 60, scripts: [{ onWindow: () => busy(), onDone: () => idle() }] };
let busy = () => {};
let idle = () => {};
function drawsWhileWorking(world: FakeWorld): void {
  const gpu = world.system.gpus[0]!;
  busy = () => gpu.draw(200);
  idle = () => gpu.draw(60);
}

function cache(world: FakeWorld, watts: number, ageSeconds: number): void {
  writeCachedBaseline(`${world.dir}/cache/baselines`, {
    uuid: "GPU-0",
    gpuName: "NVIDIA H100",
    powerWatts: watts,
    method: "energy_counter",
    measuredAt: new Date((world.clock.nowSeconds() - ageSeconds) * 1000).toISOString(),
    durationSeconds: 30,
    sampleCount: 300,
    driverVersion: "580.65.06",
  });
}

Deno.test("with no cached baseline, a study measures idle power for the full duration and subtracts it", async () => {
  await withFakeStudy(withBaseline(), { ...idleAt60, before: drawsWhileWorking }, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    const result = outcome.experiments[0]!;
    assert.equal(result.energy_breakdown?.baseline_method, "idle_fresh");
    assert.ok(Math.abs(result.baseline_power_w! - 60) < 1e-6, `${result.baseline_power_w} W`);
    const expected = (200 - 60) * result.total_inference_time_sec;
    assert.ok(
      Math.abs(result.energy_adjusted_j! / expected - 1) < 1e-5,
      `${result.energy_adjusted_j} J, ${result.total_energy_j} J over ${result.total_inference_time_sec} s`,
    );
    const phases = eventsOf(world.events, "phase").filter((e) => e.phase === "baseline").map((e) => e.detail);
    assert.deepEqual(phases, ["measuring idle power of 1 GPU(s) for 10 s"]);
  });
});

Deno.test("a cached baseline younger than its TTL is spot-checked and kept when it still holds", async () => {
  await withFakeStudy(withBaseline(), {
    ...idleAt60,
    before: (world) => (drawsWhileWorking(world), cache(world, 61, 600)),
  }, (outcome, world) => {
    const result = outcome.experiments[0]!;
    assert.equal(result.energy_breakdown?.baseline_method, "idle_cached");
    assert.equal(result.baseline_power_w, 61, "the cached figure, not the spot check's");
    const phases = eventsOf(world.events, "phase").filter((e) => e.phase === "baseline").map((e) => e.detail);
    assert.deepEqual(phases, ["spot-checking idle power of 1 GPU(s) for 2 s"]);
  });
});

Deno.test("a cached baseline that drifted, or is too old, or under strategy fresh, is measured afresh", async () => {
  const cases: [string, (world: FakeWorld) => void][] = [
    ["drifted", (world) => cache(world, 30, 600)],
    ["expired", (world) => cache(world, 60, 100_000)],
    ["fresh", (world) => cache(world, 60, 600)],
  ];
  for (const [label, prepare] of cases) {
    await withFakeStudy(withBaseline(label === "fresh" ? "fresh" : "cached"), {
      ...idleAt60,
      before: (world) => (drawsWhileWorking(world), prepare(world)),
    }, (outcome) => {
      const result = outcome.experiments[0]!;
      assert.equal(result.energy_breakdown?.baseline_method, "idle_fresh", label);
      assert.ok(Math.abs(result.baseline_power_w! - 60) < 1e-6, `${label}: ${result.baseline_power_w} W`);
    });
  }
});

Deno.test("a GPU busy with another process during the baseline is a warning of the study", async () => {
  await withFakeStudy(withBaseline(), {
    before: (world) => world.system.gpus[0]!.processes.push({ pid: 4242, usedMemoryBytes: 1e9 }),
  }, (outcome) => {
    assert.ok(
      outcome.manifest.summary.warnings.some((w) =>
        /GPU GPU-0 had process\(es\) 4242 during the idle baseline/.test(w)
      ),
    );
  });
});

Deno.test("a baseline cut short by an interrupt is not cached, and the study ends interrupted", async () => {
  await withFakeStudy(withBaseline(), {
    // Ctrl-C 4 s into the 10 s baseline: enough samples for a figure, but not the baseline asked for.
    before: (world) => {
      const start = world.clock.nowSeconds();
      world.clock.onSleepTick = (now) => now - start >= 4 && world.controller.abort();
    },
  }, (outcome, world) => {
    assert.equal(outcome.status, "interrupted");
    assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), ["pending"]);
    assert.throws(() => Deno.statSync(`${world.dir}/cache/baselines`), Deno.errors.NotFound);
  });
});

Deno.test("a baseline counts only samples of its own phase, though the sampler hands samples over late", async () => {
  // Something draws 200 W on the GPU until the baseline starts; the sampler lags 0.5 s behind.
  await withFakeStudy(withBaseline(), {
    watts: 200,
    lagSeconds: 0.5,
    before: (world) => {
      const { startSampler, onEvent } = world.ports;
      // The sampler runs for 2 s before the baseline begins.
      world.ports.startSampler = (start) => startSampler(start).then((s) => (world.clock.advance(2), s));
      world.ports.onEvent = (event) => {
        onEvent(event);
        if (event.type === "phase" && event.phase === "baseline") world.system.gpus[0]!.draw(60);
      };
    },
  }, (outcome) => {
    const result = outcome.experiments[0]!;
    assert.ok(Math.abs(result.baseline_power_w! - 60) < 1e-6, `${result.baseline_power_w} W`);
  });
});

Deno.test("a baseline whose samples the sampler dropped covers less than planned and is not cached", async () => {
  // Nobody drains the sampler during the 10 s baseline (the timed pump never fires on the fake clock) and it
  // keeps only its last 10 samples: the figure rests on the last second alone.
  await withFakeStudy(withBaseline(), { maxBuffered: 10 }, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    assert.equal(outcome.experiments[0]!.energy_breakdown?.baseline_method, "idle_fresh");
    assert.throws(() => Deno.statSync(`${world.dir}/cache/baselines/GPU-0.json`), Deno.errors.NotFound);
    assert.ok(
      outcome.manifest.summary.warnings.some((w) =>
        /baseline GPU-0: not cached: its samples cover 0\.\d+ s of the 10 s planned/.test(w)
      ),
      outcome.manifest.summary.warnings.join("\n"),
    );
  });
});

Deno.test("a baseline cut short by a lost GPU is not cached, and the study fails", async () => {
  // The GPU is lost some 3 s into the 10 s baseline (its reads: the busy check, then one per 100 ms round);
  // the sampler's failure surfaces when the baseline's samples are collected.
  await withFakeStudy(withBaseline(), { lose: { gpu: 0, reads: 32 } }, (outcome, world) => {
    assert.equal(outcome.status, "failed");
    assert.equal(eventsOf(world.events, "phase").filter((e) => e.phase === "baseline").length, 1);
    assert.ok(
      outcome.manifest.summary.warnings.some((w) => /the study stopped: .*GPU-0/.test(w)),
      outcome.manifest.summary.warnings.join("\n"),
    );
    assert.throws(() => Deno.statSync(`${world.dir}/cache/baselines`), Deno.errors.NotFound);
  });
});
