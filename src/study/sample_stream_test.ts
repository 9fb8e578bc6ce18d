/** The sample stream: long windows in one drain, dropped samples, failures, only the collected GPUs. */
import assert from "node:assert/strict";
import { FakeClock, fakeGpuSystem, FakeSampler } from "../../tests/fake_gpu_system.ts";
import { quickExperiment, withFakeStudy } from "../../tests/study_runner_fixture.ts";
import { SampleStream } from "./sample_stream.ts";

Deno.test("SampleStream gives each collection only its GPUs' samples, and drops what nobody collects", () => {
  const clock = new FakeClock();
  const system = fakeGpuSystem(clock, { count: 2 });
  const stream = new SampleStream(
    new FakeSampler(system, { uuids: ["GPU-0", "GPU-1"], intervalMs: 100, clock }),
    clock,
  );
  clock.advance(1);
  stream.pump();
  const streamed: string[] = [];
  const one = stream.collect(["GPU-1"], (batch) => streamed.push(...batch.map((s) => s.uuid)));
  clock.advance(1);
  stream.pump();
  one.close();
  clock.advance(1);
  stream.pump();
  assert.equal(one.samples.length, 10);
  assert.ok(one.samples.every((s) => s.uuid === "GPU-1"));
  assert.deepEqual(streamed, Array(10).fill("GPU-1"));
});

Deno.test("SampleStream hands over a drain far past 125,000 samples (a spread would overflow the stack)", () => {
  const clock = new FakeClock();
  const system = fakeGpuSystem(clock, { count: 2 });
  const stream = new SampleStream(
    new FakeSampler(system, { uuids: ["GPU-0", "GPU-1"], intervalMs: 10, clock }),
    clock,
  );
  stream.pump();
  const collection = stream.collect(["GPU-0", "GPU-1"], () => {});
  // 2 GPUs x 100 rounds/s x 1,000 s: 200,000 samples arrive in one drain.
  clock.advance(1000);
  stream.pump();
  assert.ok(Math.abs(collection.samples.length - 200_000) <= 2, `${collection.samples.length} samples`);
  assert.equal(collection.droppedSamples, 0);
});

Deno.test("SampleStream counts the samples the sampler dropped while a collection was open", () => {
  const clock = new FakeClock();
  const system = fakeGpuSystem(clock);
  const sampler = new FakeSampler(system, { uuids: ["GPU-0"], intervalMs: 10, clock, maxBuffered: 1000 });
  const stream = new SampleStream(sampler, clock);
  stream.pump();
  const collection = stream.collect(["GPU-0"]);
  clock.advance(30);
  stream.pump();
  assert.equal(collection.samples.length, 1000);
  assert.equal(collection.droppedSamples, 2000);
});

Deno.test("SampleStream.pump() throws the sampler's failure: a lost GPU names itself", () => {
  const clock = new FakeClock();
  const system = fakeGpuSystem(clock);
  const stream = new SampleStream(
    new FakeSampler(system, { uuids: ["GPU-0"], intervalMs: 10, clock }),
    clock,
  );
  system.gpus[0]!.loseAfter(3);
  clock.advance(1);
  assert.throws(() => stream.pump(), /GPU GPU-0 was lost/);
});

Deno.test("a window of 25 minutes at 10 ms is measured whole, its energy exact and every sample written", async () => {
  const yaml = quickExperiment().replace("sample_interval_ms: 100", "sample_interval_ms: 10");
  // One request of 8 tokens at 200 s each: a 1,400 s window, 140,000 samples reaching the runner at once.
  await withFakeStudy(
    yaml,
    { watts: 300, scripts: [{ ttftSeconds: 0, tokenSeconds: 200 }] },
    (outcome, world) => {
      assert.equal(
        outcome.manifest.experiments[0]!.status,
        "completed",
        JSON.stringify(outcome.manifest.experiments[0]!.error),
      );
      const result = outcome.experiments[0]!;
      assert.ok(Math.abs(result.total_energy_j / (300 * result.total_inference_time_sec) - 1) < 1e-6);
      const [samples] = [...world.files.timeseries.values()];
      assert.ok(samples!.filter((s) => s.phase === "measure").length >= 140_000);
      assert.ok(!result.measurement_warnings.some((w) => /dropped/.test(w)));
    },
  );
});

Deno.test("samples the sampler dropped during a run are a warning in its result", async () => {
  const yaml = quickExperiment().replace("sample_interval_ms: 100", "sample_interval_ms: 10");
  await withFakeStudy(
    yaml,
    { maxBuffered: 500, scripts: [{ ttftSeconds: 0, tokenSeconds: 2 }] },
    (outcome) => {
      assert.equal(outcome.status, "completed");
      const warnings = outcome.experiments[0]!.measurement_warnings;
      assert.ok(warnings.some((w) => /the sampler dropped \d+ sample\(s\)/.test(w)), warnings.join("\n"));
    },
  );
});
