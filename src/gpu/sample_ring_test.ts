import assert from "node:assert/strict";
import { createSampleRing, SampleRingReader, SampleRingWriter } from "./sample_ring.ts";
import type { TaggedSample } from "./sampler_protocol.ts";

function sample(i: number, nulls = false): Omit<TaggedSample, "uuid" | "phase"> {
  return {
    timeSeconds: 1_800_000_000.123456 + i,
    energyJoules: nulls ? null : 1e9 + i * 0.001,
    powerWatts: nulls ? null : 100.25,
    powerSource: nulls ? null : i % 2 ? "power_usage" : "instant_field",
    temperatureCelsius: nulls ? null : 41,
    memoryUsedBytes: nulls ? null : 80 * 1024 ** 3,
    smClockMhz: nulls ? null : 1980,
    memoryClockMhz: nulls ? null : 2619,
    utilizationGpuPercent: nulls ? null : 97,
    utilizationMemoryPercent: nulls ? null : 40,
    clockEventReasons: nulls ? null : 0x1n << 40n | 0x4n,
    errorCount: nulls ? 3 : 0,
  };
}

Deno.test("a sample goes through the ring field for field, nulls and large reason bits included", () => {
  const ring = createSampleRing(8);
  const writer = new SampleRingWriter(ring);
  const reader = new SampleRingReader(ring, ["GPU-a", "GPU-b"]);
  writer.write(sample(1), { gpu: 1, phase: "measure" });
  writer.write(sample(2, true), { gpu: 0, phase: "baseline" });
  const [first, second] = reader.read();
  assert.deepEqual(first, { ...sample(1), uuid: "GPU-b", phase: "measure" });
  assert.deepEqual(second, { ...sample(2, true), uuid: "GPU-a", phase: "baseline" });
  assert.deepEqual(reader.read(), []);
});

Deno.test("a reader more than a ring behind gets the newest samples and counts what it lost", () => {
  const ring = createSampleRing(4);
  const writer = new SampleRingWriter(ring);
  const reader = new SampleRingReader(ring, ["GPU-a"]);
  for (let i = 0; i < 10; i++) writer.write(sample(i), { gpu: 0, phase: "idle" });
  const read = reader.read();
  assert.deepEqual(read.map((s) => s.timeSeconds - 1_800_000_000.123456), [6, 7, 8, 9]);
  assert.equal(reader.dropped, 6);
  writer.write(sample(10), { gpu: 0, phase: "idle" });
  assert.equal(reader.read().length, 1);
});
