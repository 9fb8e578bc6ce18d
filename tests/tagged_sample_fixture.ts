import type { SamplePhase, TaggedSample } from "../src/gpu/sampler_protocol.ts";

/** One H100-like sample at Unix time `timeSeconds`, with any fields overridden. */
export function taggedSampleFixture(overrides: Partial<TaggedSample> = {}): TaggedSample {
  return {
    timeSeconds: 1_780_000_000.0125,
    energyJoules: 123_456.789,
    powerWatts: 312.5,
    powerSource: "instant_field",
    temperatureCelsius: 54,
    memoryUsedBytes: 40 * 1024 ** 3,
    smClockMhz: 1980,
    memoryClockMhz: 2619,
    utilizationGpuPercent: 97,
    utilizationMemoryPercent: 61,
    clockEventReasons: 0n,
    errorCount: 0,
    uuid: "GPU-1",
    phase: "measure",
    ...overrides,
  };
}

/**
 * `rounds` sampling rounds of every GPU in `uuids`, `intervalSeconds` apart from `startSeconds`, with
 * plausible, varying readings: the shape of a real sampler's output, for size and speed tests.
 */
export function syntheticSamples(
  rounds: number,
  options: { uuids: readonly string[]; startSeconds: number; intervalSeconds: number },
): TaggedSample[] {
  const phases: SamplePhase[] = ["baseline", "warmup", "measure"];
  const samples: TaggedSample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [gpu, uuid] of options.uuids.entries()) {
      const timeSeconds = options.startSeconds + round * options.intervalSeconds + gpu * 1e-4;
      samples.push(taggedSampleFixture({
        timeSeconds,
        uuid,
        phase: phases[Math.min(2, Math.floor((3 * round) / rounds))]!,
        energyJoules: 100_000 + round * 30 + gpu,
        powerWatts: 300 + 50 * Math.sin(round / 10) + gpu,
        temperatureCelsius: 50 + (round % 20),
        clockEventReasons: round % 50 === 0 ? 0x20n : 0n,
      }));
    }
  }
  return samples;
}
