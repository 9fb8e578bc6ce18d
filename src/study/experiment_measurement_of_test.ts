/** What a run's window energy says about its method and its resolution, on in-memory ports. */
import assert from "node:assert/strict";
import { quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";

Deno.test("under energy_source: power, a run says the config chose power integration, not that the GPU lacks a counter", async () => {
  // The engine loads for 2 s: the run's samples reach back before its window, as a session's first run's do.
  const options = { scripts: [{ loadSeconds: 2 }] };
  await withFakeStudy(`name: power\n${quickExperiment("  energy_source: power\n")}`, options, (outcome) => {
    const result = outcome.experiments[0]!;
    assert.equal(result.energy_method, "power_integration");
    const warnings = result.measurement_warnings;
    assert.ok(!warnings.some((w) => /no energy counter/.test(w)), warnings.join("\n"));
    assert.ok(
      warnings.some((w) => /integrated power samples, as measurement\.energy_source: power asks/.test(w)),
      warnings.join("\n"),
    );
  });
});

Deno.test("on a GPU without an energy counter, a run says so", async () => {
  await withFakeStudy(`name: nocounter\n${quickExperiment()}`, {
    scripts: [{ loadSeconds: 2 }],
    before: (world) => (world.system.gpus[0]!.info.capabilities.energyCounter = false),
  }, (outcome) => {
    const warnings = outcome.experiments[0]!.measurement_warnings;
    assert.ok(
      warnings.some((w) => /energy from integrated power samples: this GPU has no energy counter/.test(w)),
      warnings.join("\n"),
    );
  });
});

/** A study sampling every 10 ms; its engine loads for 2 s, so each run's samples show the counter idling. */
const sampledFast = (name: string) =>
  `name: ${name}\n${quickExperiment().replace("sample_interval_ms: 100", "sample_interval_ms: 10")}`;

Deno.test("a window shorter than ten energy counter updates gets a warning, the period read from the run's samples", async () => {
  await withFakeStudy(sampledFast("short"), {
    scripts: [{ loadSeconds: 2 }],
    before: (world) => (world.system.gpus[0]!.counterUpdateSeconds = 0.1),
  }, (outcome) => {
    const result = outcome.experiments[0]!;
    assert.ok(result.total_inference_time_sec < 1, `${result.total_inference_time_sec} s`);
    assert.ok(
      result.measurement_warnings.some((w) =>
        /^GPU 0 \(GPU-0\): window of 0\.\d+ s spans fewer than 10 energy counter updates \(100 ms each\)/
          .test(w)
      ),
      result.measurement_warnings.join("\n"),
    );
  });
});

Deno.test("a window of ten counter updates or more, or a counter the sampler cannot resolve, gets no such warning", async () => {
  const cases: [string, { yaml: string; period: number; tokenSeconds: number }][] = [
    ["a 1.45 s window of a 100 ms counter", { yaml: sampledFast("long"), period: 0.1, tokenSeconds: 0.2 }],
    // A 0.12 s window of a 20 ms counter spans 6 updates, but reads 100 ms apart cannot tell its period:
    // no period is invented (the slice under 1 s has its own warning).
    [
      "a 20 ms counter read every 100 ms",
      { yaml: `name: coarse\n${quickExperiment()}`, period: 0.02, tokenSeconds: 0.01 },
    ],
  ];
  for (const [label, { yaml, period, tokenSeconds }] of cases) {
    await withFakeStudy(yaml, {
      scripts: [{ loadSeconds: 2, tokenSeconds }],
      before: (world) => (world.system.gpus[0]!.counterUpdateSeconds = period),
    }, (outcome) => {
      const warnings = outcome.experiments[0]!.measurement_warnings;
      assert.ok(!warnings.some((w) => /energy counter updates/.test(w)), `${label}: ${warnings.join("\n")}`);
    });
  }
});
