import assert from "node:assert/strict";
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
      gpus: ["GPU-a"],
    }, 0),
    ["resuming study s: 3 runs (1 already completed) on 1 GPU(s)", "results: /r/s_1"],
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
      mjPerToken: 15,
      windowSeconds: 2,
      warnings: 1,
    }, 11_000),
    ["  done: 1.50 kJ, 100 tokens in 2.00 s, 50.0 tok/s, 15.00 mJ/tok, 1 warning(s)"],
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
