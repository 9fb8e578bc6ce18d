/** The study loop on in-memory ports: order, sessions, gaps, GPU sets, the circuit breaker, interrupts. */
import assert from "node:assert/strict";
import {
  eventsOf,
  fakeRequest,
  fakeSetup,
  type FakeWorld,
  fakeWorld,
  type FakeWorldOptions,
  quickExperiment,
  withFakeStudy,
} from "../../tests/study_runner_fixture.ts";
import { runStudy } from "./run_study.ts";

const twoBySweep = (extra = "") => `
name: loop
${quickExperiment(extra)}
sweep:
  generation.max_new_tokens: [4, 8]
`;

Deno.test("runStudy() measures the runs in plan order, energy from the counters at the window edges", async () => {
  await withFakeStudy(
    twoBySweep("execution: {n_cycles: 2, order: interleave}"),
    { watts: 250 },
    (outcome, world) => {
      assert.equal(outcome.status, "completed");
      const started = eventsOf(world.events, "run_started").map((e) => e.run);
      assert.deepEqual(started, [1, 2, 3, 4]);
      assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), Array(4).fill("completed"));
      for (const result of outcome.experiments) {
        // A constant 250 W: the counter difference is exactly 250 W × the window.
        const expected = 250 * result.total_inference_time_sec;
        assert.ok(
          Math.abs(result.total_energy_j / expected - 1) < 1e-6,
          `${result.total_energy_j} vs ${expected}`,
        );
        assert.equal(result.energy_breakdown?.baseline_method ?? null, null);
      }
      assert.deepEqual(outcome.experiments.map((r) => r.total_tokens), [8, 16, 8, 16]);
      assert.equal(outcome.resultFiles.length, 4);
      assert.equal(world.files.open, 0, "every timeseries sink was finished or discarded");
    },
  );
});

Deno.test("runStudy() shares a session between runs that load alike, and starts another where they differ", async () => {
  const yaml = `
name: sessions
${quickExperiment()}
sweep:
  transformers.attn_implementation: [sdpa, eager]
  generation.max_new_tokens: [4, 8]
`;
  await withFakeStudy(yaml, {}, (outcome, world) => {
    assert.equal(outcome.status, "completed");
    assert.equal(world.sessions.sessions.length, 2);
    for (const session of world.sessions.sessions) {
      assert.deepEqual(session.types(), ["configure", "prepare", "go", "prepare", "go"]);
      assert.equal(session.exitCode, 0, "closed gracefully");
    }
    const configured = world.sessions.sessions.map((s) => s.received[0]);
    assert.deepEqual(
      configured.map((m) => m?.type === "configure" && m.engine_options.attn_implementation),
      ["sdpa", "eager"],
    );
  });
});

Deno.test("runStudy() waits the experiment and cycle gaps between runs, and none before the first", async () => {
  await withFakeStudy(
    twoBySweep(
      "execution: {n_cycles: 2, order: sequential, experiment_gap_seconds: 5, cycle_gap_seconds: 20}",
    ),
    {},
    (outcome, world) => {
      assert.equal(outcome.status, "completed");
      const gaps = eventsOf(world.events, "phase").filter((e) => e.phase === "gap");
      // Sequential: every experiment of cycle 0, then of cycle 1.
      assert.deepEqual(gaps.map((e) => [e.run, e.detail]), [
        [2, "experiment gap of 5 s"],
        [3, "cycle gap of 20 s"],
        [4, "experiment gap of 5 s"],
      ]);
      const ends = outcome.experiments.map((r) => Date.parse(r.end_time) / 1000);
      assert.ok(ends[2]! - ends[1]! >= 20, "the cycle gap passed between the runs");
      assert.ok(ends[1]! - ends[0]! < 20, "only the experiment gap before the second run");
    },
  );
});

Deno.test("runStudy() gives each run only its own GPUs' samples when experiments use different GPUs", async () => {
  const yaml = `
name: gpu-sets
${quickExperiment()}
transformers: {device_map: auto}
sweep:
  gpus: [[0], [1], [0, 1]]
`;
  await withFakeStudy(yaml, {
    gpus: 2,
    before: (world) => world.system.gpus[1]!.draw(200),
  }, (outcome, world) => {
    assert.equal(
      outcome.status,
      "completed",
      JSON.stringify(outcome.manifest.experiments.map((r) => r.error)),
    );
    const byGpus = new Map(
      outcome.experiments.map((r) => [r.environment!.gpus.map((g) => g.uuid).join(","), r]),
    );
    for (const [gpus, watts] of [["GPU-0", 100], ["GPU-1", 200], ["GPU-0,GPU-1", 300]] as const) {
      const result = byGpus.get(gpus);
      assert.ok(result, `a run on ${gpus}: ${[...byGpus.keys()]}`);
      const expected = watts * result.total_inference_time_sec;
      assert.ok(Math.abs(result.total_energy_j / expected - 1) < 1e-6, `${gpus}: ${result.total_energy_j} J`);
    }
    for (const [i, result] of outcome.experiments.entries()) {
      const samples = world.files.timeseries.get(
        outcome.resultFiles[i]!.replace("result.json", "timeseries.parquet"),
      );
      const written = [...new Set(samples!.map((s) => s.uuid))].sort();
      assert.deepEqual(written, result.environment!.gpus.map((g) => g.uuid).sort(), "exactly the run's GPUs");
    }
  });
});

Deno.test("runStudy() stops after max_consecutive_failures failed runs in a row (the circuit breaker)", async () => {
  const yaml = `
name: breaker
${quickExperiment("execution: {max_consecutive_failures: 2}")}
sweep:
  generation.max_new_tokens: [2, 4, 6, 8]
`;
  await withFakeStudy(yaml, { scripts: [{ fault: { on: "go", how: "raise" } }] }, (outcome, world) => {
    assert.equal(outcome.status, "stopped");
    assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), [
      "failed",
      "failed",
      "pending",
      "pending",
    ]);
    assert.ok(outcome.manifest.summary.warnings.some((w) => /stopped after 2 consecutive failures/.test(w)));
    assert.equal(world.sessions.sessions.length, 2, "a fresh session after each failure");
  });
});

Deno.test("runStudy() stops cleanly at an interrupt: the run in flight is recorded, its session killed", async () => {
  const yaml = `
name: interrupt
${quickExperiment()}
sweep:
  generation.max_new_tokens: [2, 4, 6]
`;
  let abort = () => {};
  await withFakeStudy(yaml, {
    scripts: [{ onWindow: (window) => window === 2 && abort() }],
    before: (world) => abort = () => world.controller.abort(),
  }, (outcome, world) => {
    assert.equal(outcome.status, "interrupted");
    assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), ["completed", "failed", "pending"]);
    assert.equal(outcome.manifest.experiments[1]!.error?.type, "Interrupted");
    assert.equal(outcome.manifest.status, "interrupted");
    assert.equal(world.sessions.sessions[0]!.exitCode, 137, "killed, not asked to leave");
    assert.equal(eventsOf(world.events, "run_failed").length, 0, "an interrupt is not a failed run");
  });
});

Deno.test("runStudy() ends the study as failed when a GPU is lost as the sampler starts", async () => {
  await withFakeStudy(twoBySweep(), { lose: { gpu: 0, reads: 0 } }, (outcome, world) => {
    assert.equal(outcome.status, "failed");
    assert.deepEqual(outcome.manifest.experiments.map((r) => r.status), ["pending", "pending"]);
    assert.ok(
      outcome.manifest.summary.warnings.some((w) => /GPU GPU-0 was lost: nvmlDeviceGet\w+ failed/.test(w)),
    );
    assert.equal(world.sessions.sessions.length, 0, "no engine started");
  });
});

Deno.test("runStudy() puts the window's edges at go and done: preparing and loading are outside it", async () => {
  await withFakeStudy(
    quickExperiment(),
    { scripts: [{ loadSeconds: 7, prepareSeconds: 0.3 }] },
    (outcome) => {
      const result = outcome.experiments[0]!;
      // One batch of two requests: 0.05 s to the first token, then 7 more tokens 0.01 s apart.
      assert.ok(
        Math.abs(result.total_inference_time_sec - 0.12) < 1e-6,
        `${result.total_inference_time_sec} s`,
      );
    },
  );
});

Deno.test("runStudy() releases everything however it ends: locks, the sampler's timer, sessions, sinks", async () => {
  const endings: [string, FakeWorldOptions][] = [
    ["completed", {}],
    ["a failed run", { scripts: [{ fault: { on: "go", how: "oom" } }] }],
    ["a lost GPU", { lose: { gpu: 0, reads: 40 } }],
  ];
  for (const [label, options] of endings) {
    await withFakeStudy(twoBySweep(), options, async (_outcome, world) => {
      assert.equal(world.clock.timers, 0, `${label}: the pump timer is cancelled`);
      assert.equal(world.files.open, 0, `${label}: every timeseries sink is finished or discarded`);
      assert.ok(
        world.sessions.sessions.every((s) => s.exitCode !== null),
        `${label}: no session left running`,
      );
      // The GPU locks are free: another study takes them at once.
      const { acquireGpuLocks } = await import("./gpu_lock.ts");
      const holder = { pid: 1, hostname: "h", study: "s", since: "t" };
      const locks = await acquireGpuLocks(["GPU-0"], { dir: `${world.dir}/locks`, wait: false, holder });
      locks.release();
    });
  }
});

Deno.test("a timeseries write that fails in a timed pump stays with its run, not the next one", async () => {
  // Run 1: while the engine prepares, the next append fails in the 1 s timer's pump; then prepare itself
  // fails. Run 1 fails for its engine; run 2 must not inherit the write failure.
  let world: FakeWorld;
  const failingAppend = (message: { type: string }) => {
    if (message.type !== "prepare" || world.sessions.sessions.length > 1) return;
    world.files.appendFails = new Error("append failed");
    world.clock.tick();
  };
  await withFakeStudy(twoBySweep().replace("sample_interval_ms: 100", "sample_interval_ms: 10"), {
    scripts: [{ loadSeconds: 1, onMessage: failingAppend, fault: { on: "prepare", how: "raise" } }, {}],
    before: (w) => world = w,
  }, (outcome) => {
    assert.deepEqual(outcome.manifest.experiments.map((r) => [r.status, r.error?.type ?? null]), [
      ["failed", "RuntimeError"],
      ["completed", null],
    ]);
  });
});

Deno.test("runStudy() resumes a study: completed runs stay, the others run, the manifest read afresh", async () => {
  const world = fakeWorld({ scripts: [{ fault: { on: "go", window: 2, how: "exit" } }, {}] });
  try {
    const yaml = twoBySweep("execution: {max_consecutive_failures: 1}");
    const first = await runStudy(fakeSetup(fakeRequest(yaml, world.dir)), world.ports);
    assert.deepEqual(first.manifest.experiments.map((r) => r.status), ["completed", "failed"]);
    const { readManifest } = await import("../results/manifest_store.ts");
    const resume = { dir: first.studyDir, manifest: readManifest(first.studyDir), picked: null };
    const second = await runStudy(fakeSetup(fakeRequest(yaml, world.dir, { resume })), world.ports);
    assert.equal(second.status, "completed");
    assert.deepEqual(second.manifest.experiments.map((r) => [r.status, r.attempts]), [["completed", 1], [
      "completed",
      2,
    ]]);
    assert.equal(second.experiments.length, 1, "only the failed run ran again");
    assert.equal(second.manifest.resumes.length, 1);
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
});

Deno.test("runStudy() skips the runs due after execution.wall_clock_timeout_hours; the run in flight finishes", async () => {
  const yaml = `
name: deadline
${quickExperiment("execution: {wall_clock_timeout_hours: 0.001, experiment_gap_seconds: 5}")}
sweep:
  generation.max_new_tokens: [4, 6, 8]
`;
  // 0.001 h is 3.6 s: run 2 begins before it (after its 5 s gap, which is part of run 2), run 3 after.
  await withFakeStudy(yaml, {}, (outcome) => {
    assert.equal(outcome.status, "stopped");
    assert.deepEqual(outcome.manifest.experiments.map((r) => [r.status, r.error?.type ?? null]), [
      ["completed", null],
      ["completed", null],
      ["skipped", "WallClockTimeout"],
    ]);
    assert.match(outcome.manifest.experiments[2]!.error!.message, /wall_clock_timeout_hours \(0\.001 h\)/);
    assert.ok(
      outcome.manifest.summary.warnings.some((w) => /1 run\(s\) skipped, --resume runs them/.test(w)),
    );
  });
});

Deno.test("cycle statistics are per planned experiment: a sweep over gpus never pools two GPUs' runs", async () => {
  const yaml = `
name: per-experiment
${quickExperiment("execution: {n_cycles: 2}")}
sweep:
  gpus: [[0], [1]]
`;
  await withFakeStudy(yaml, { gpus: 2, before: (world) => world.system.gpus[1]!.draw(300) }, (outcome) => {
    const [first, second] = outcome.manifest.experiments;
    assert.equal(first!.measurement_config_hash, second!.measurement_config_hash, "gpus is not in the hash");
    assert.equal(outcome.manifest.summary.unique_configurations, 2);
    assert.deepEqual(Object.keys(outcome.manifest.uncertainty).sort(), ["1", "2"]);
    for (const [key, watts] of [["1", 100], ["2", 300]] as const) {
      const power = outcome.experiments.filter((r) =>
        r.environment!.gpus[0]!.uuid === `GPU-${Number(key) - 1}`
      )
        .map((r) => r.total_energy_j / r.total_inference_time_sec);
      assert.equal(outcome.manifest.uncertainty[key]!.total_energy_j!.n, 2);
      assert.ok(power.every((p) => Math.abs(p / watts - 1) < 1e-6), `${key}: ${power}`);
    }
  });
});
