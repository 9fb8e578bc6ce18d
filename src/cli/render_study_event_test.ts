import assert from "node:assert/strict";
import { eventsOf, quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";
import {
  estimateRemainingSeconds,
  newProgressState,
  renderStudyEvent,
  statusLine,
} from "./render_study_event.ts";

Deno.test("renderStudyEvent() prints one plain line per event and keeps the counts", () => {
  const state = newProgressState(0);
  assert.deepEqual(
    renderStudyEvent(state, {
      type: "study_started",
      studyDir: "/r/s_1",
      studyName: "s",
      totalRuns: 3,
      alreadyCompleted: 1,
      resumed: true,
      picked: "the newest unfinished study with completed runs (1 of 3 runs completed)",
      gpus: ["GPU-a"],
    }, 0),
    [
      "resuming study s: 3 runs (1 already completed) on 1 GPU(s)",
      "results: /r/s_1",
      "picked: the newest unfinished study with completed runs (1 of 3 runs completed)",
    ],
  );
  renderStudyEvent(state, {
    type: "run_started",
    run: 2,
    totalRuns: 3,
    dir: "002",
    cycle: 0,
    model: "m",
    engine: "vllm",
    session: 1,
  }, 1000);
  assert.deepEqual(
    renderStudyEvent(state, {
      type: "run_completed",
      run: 2,
      dir: "002",
      energyJ: 1500,
      outputTokens: 100,
      tokensPerSecond: 50,
      mjPerTokenTotal: 15,
      mjPerTokenAdjusted: 9,
      windowSeconds: 2,
      warnings: 1,
    }, 11_000),
    ["  done: 1.50 kJ, 100 tokens in 2.00 s, 50.0 tok/s, 15.00 mJ/tok, 9.00 mJ/tok adj, 1 warning(s)"],
  );
  assert.equal(state.done, 2);
  assert.equal(state.energyJ, 1500);
  assert.deepEqual(state.runSeconds, [10]);
  assert.equal(estimateRemainingSeconds(state), 10, "one run left at the median run time");
  assert.deepEqual(
    renderStudyEvent(state, {
      type: "run_failed",
      run: 3,
      dir: "003",
      errorType: "EngineKilled",
      message: "the harness exited with code 137",
      logFile: "failed-runs/003.log",
    }, 12_000),
    ["  failed: EngineKilled: the harness exited with code 137 (log: failed-runs/003.log)"],
  );
});

Deno.test("statusLine() shows progress, phase, elapsed, energy and ETA, cut to the terminal width", () => {
  const state = {
    ...newProgressState(0),
    totalRuns: 4,
    done: 1,
    energyJ: 12.5,
    runSeconds: [30],
    phase: "warmup",
  };
  assert.equal(
    statusLine(state, 65_000, 200),
    "1/4 runs done | warmup | elapsed 1m 05s | 12.5 J | ETA 1m 30s",
  );
  renderStudyEvent(state, {
    type: "run_started",
    run: 2,
    totalRuns: 4,
    dir: "002",
    cycle: 1,
    model: "m",
    engine: "vllm",
    session: 1,
  }, 65_000);
  assert.equal(
    statusLine(state, 65_000, 200),
    "1/4 runs done | [2/4] m vllm cycle 1 | warmup | elapsed 1m 05s | 12.5 J | ETA 1m 30s",
  );
  const cut = statusLine(state, 65_000, 20);
  assert.equal(cut.length, 20);
  assert.ok(cut.endsWith("…"));
});

Deno.test("a run's line labels its per-token energy as the summary does: mJ/tok total, mJ/tok adj adjusted", async () => {
  const yaml = quickExperiment().replace(
    "baseline: {enabled: false}",
    "baseline: {enabled: true, duration_seconds: 10, spot_check_seconds: 2}",
  );
  // Idle at 60 W throughout, 200 W while generating: the adjusted figure is well below the total.
  let busy = () => {};
  let idle = () => {};
  await withFakeStudy(yaml, {
    watts: 60,
    scripts: [{ onWindow: () => busy(), onDone: () => idle() }],
    before: (world) => {
      busy = () => world.system.gpus[0]!.draw(200);
      idle = () => world.system.gpus[0]!.draw(60);
    },
  }, (outcome, world) => {
    const result = outcome.experiments[0]!;
    const [completed] = eventsOf(world.events, "run_completed");
    const [line] = renderStudyEvent(newProgressState(0), completed!, 0);
    const total = result.mj_per_tok_total!.toFixed(2);
    const adjusted = result.mj_per_tok_adjusted!.toFixed(2);
    assert.notEqual(total, adjusted);
    assert.ok(line!.includes(`, ${total} mJ/tok, ${adjusted} mJ/tok adj`), line!);
  });
});

Deno.test("a run's line without a baseline gives the total mJ/tok alone", () => {
  const [line] = renderStudyEvent(newProgressState(0), {
    type: "run_completed",
    run: 1,
    dir: "001",
    energyJ: 10,
    outputTokens: 100,
    tokensPerSecond: 50,
    mjPerTokenTotal: 100,
    mjPerTokenAdjusted: null,
    windowSeconds: 2,
    warnings: 0,
  }, 0);
  assert.equal(line, "  done: 10.0 J, 100 tokens in 2.00 s, 50.0 tok/s, 100.00 mJ/tok");
});
