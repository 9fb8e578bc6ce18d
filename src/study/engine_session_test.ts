/** A session's start on in-memory ports: loaded-idle power and the warmup. */
import assert from "node:assert/strict";
import { type FakeWorld, quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";

const withLoadedIdle = `
name: loaded-idle
${
  quickExperiment()
    .replace("sample_interval_ms: 100", "sample_interval_ms: 10")
    .replace(
      "baseline: {enabled: false}",
      "baseline: {enabled: true, duration_seconds: 5, spot_check_seconds: 2}",
    )
}`;

Deno.test("loaded-idle power counts only the samples of the idle, though the sampler hands samples over late", async () => {
  // The GPU idles at 80 W, draws 300 W while the model loads (3 s), and the sampler lags 0.5 s behind.
  let world: FakeWorld;
  const onMessage = (message: { type: string }) => {
    if (message.type === "configure") world.system.gpus[0]!.draw(300);
    if (message.type === "idle") world.system.gpus[0]!.draw(80);
  };
  await withFakeStudy(withLoadedIdle, {
    watts: 80,
    lagSeconds: 0.5,
    scripts: [{ loadSeconds: 3, onMessage }],
    before: (w) => world = w,
  }, (outcome) => {
    assert.equal(outcome.status, "completed");
    const loadedIdle = outcome.experiments[0]!.energy_breakdown?.loaded_idle_power_w;
    assert.ok(
      loadedIdle !== null && loadedIdle !== undefined && Math.abs(loadedIdle - 80) < 1e-3,
      `${loadedIdle} W`,
    );
  });
});

Deno.test("a session runs the warmup it is configured for, and none when it asks for none", async () => {
  for (const [warmup, expected] of [["{n_requests: 3}", true], ["{n_requests: 0}", false]] as const) {
    const yaml = quickExperiment().replace("warmup: {n_requests: 0}", `warmup: ${warmup}`);
    await withFakeStudy(yaml, {}, (outcome, world) => {
      assert.equal(world.sessions.sessions[0]!.types().includes("warmup"), expected, warmup);
      assert.equal(outcome.status, "completed");
    });
  }
});
