import type { PowerSource } from "./gpu.ts";
import { PHASES, type SamplePhase, type TaggedSample } from "./sampler_protocol.ts";

/**
 * A ring of fixed-width sample records in shared memory: the sampler's worker writes each sample's
 * fields into the next slot and publishes it by advancing `head`; the host reads the slots from its own
 * `tail` to `head` in bulk. No message and no object per sample crosses threads. Numbers that may be
 * missing are NaN in the ring and null outside it.
 */
const FIELDS = {
  time: 0,
  energy: 1,
  power: 2,
  powerSource: 3,
  temperature: 4,
  memoryUsed: 5,
  smClock: 6,
  memoryClock: 7,
  utilizationGpu: 8,
  utilizationMemory: 9,
  clockEventReasons: 10,
  errorCount: 11,
  gpu: 12,
  phase: 13,
} as const;
const WIDTH = 14;
const POWER_SOURCES: readonly PowerSource[] = ["instant_field", "power_usage"];

/** Slots of the ring's counters (a BigInt64Array): samples written, and the host's reading position. */
const HEAD = 0;

/** The shared memory of a ring of `capacity` samples: records, and the count of samples written. */
export interface SampleRingBuffers {
  records: SharedArrayBuffer;
  counters: SharedArrayBuffer;
}

export function createSampleRing(capacity: number): SampleRingBuffers {
  return {
    records: new SharedArrayBuffer(capacity * WIDTH * Float64Array.BYTES_PER_ELEMENT),
    counters: new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT),
  };
}

/** The worker's end: write a sample into the next slot, then publish it. */
export class SampleRingWriter {
  readonly #records: Float64Array;
  readonly #counters: BigInt64Array;
  readonly #capacity: number;
  #head = 0n;

  constructor(buffers: SampleRingBuffers) {
    this.#records = new Float64Array(buffers.records);
    this.#counters = new BigInt64Array(buffers.counters);
    this.#capacity = this.#records.length / WIDTH;
    this.#head = Atomics.load(this.#counters, HEAD);
  }

  write(sample: Omit<TaggedSample, "uuid" | "phase">, where: { gpu: number; phase: SamplePhase }): void {
    const at = Number(this.#head % BigInt(this.#capacity)) * WIDTH;
    const r = this.#records;
    r[at + FIELDS.time] = sample.timeSeconds;
    r[at + FIELDS.energy] = sample.energyJoules ?? NaN;
    r[at + FIELDS.power] = sample.powerWatts ?? NaN;
    r[at + FIELDS.powerSource] = sample.powerSource === null
      ? NaN
      : POWER_SOURCES.indexOf(sample.powerSource);
    r[at + FIELDS.temperature] = sample.temperatureCelsius ?? NaN;
    r[at + FIELDS.memoryUsed] = sample.memoryUsedBytes ?? NaN;
    r[at + FIELDS.smClock] = sample.smClockMhz ?? NaN;
    r[at + FIELDS.memoryClock] = sample.memoryClockMhz ?? NaN;
    r[at + FIELDS.utilizationGpu] = sample.utilizationGpuPercent ?? NaN;
    r[at + FIELDS.utilizationMemory] = sample.utilizationMemoryPercent ?? NaN;
    // Reason bits are below 2^53: a double holds them exactly.
    r[at + FIELDS.clockEventReasons] = sample.clockEventReasons === null
      ? NaN
      : Number(sample.clockEventReasons);
    r[at + FIELDS.errorCount] = sample.errorCount;
    r[at + FIELDS.gpu] = where.gpu;
    r[at + FIELDS.phase] = PHASES.indexOf(where.phase);
    this.#head += 1n;
    Atomics.store(this.#counters, HEAD, this.#head);
  }
}

/** The host's end: read the samples written since the last read, oldest first. */
export class SampleRingReader {
  readonly #records: Float64Array;
  readonly #counters: BigInt64Array;
  readonly #capacity: number;
  readonly #uuids: readonly string[];
  #tail = 0n;
  /** Samples overwritten before they were read (the host fell more than a ring behind). */
  dropped = 0;

  constructor(buffers: SampleRingBuffers, uuids: readonly string[]) {
    this.#records = new Float64Array(buffers.records);
    this.#counters = new BigInt64Array(buffers.counters);
    this.#capacity = this.#records.length / WIDTH;
    this.#uuids = uuids;
  }

  /** Every sample published since the last read, oldest first. */
  read(): TaggedSample[] {
    const head = Atomics.load(this.#counters, HEAD);
    const capacity = BigInt(this.#capacity);
    if (head - this.#tail > capacity) {
      this.dropped += Number(head - this.#tail - capacity);
      this.#tail = head - capacity;
    }
    const samples: TaggedSample[] = new Array(Number(head - this.#tail));
    for (let i = 0; this.#tail < head; i++, this.#tail++) {
      samples[i] = this.#sampleAt(Number(this.#tail % capacity));
    }
    return samples;
  }

  #sampleAt(slot: number): TaggedSample {
    const r = this.#records;
    const at = slot * WIDTH;
    const value = (field: number) => (Number.isNaN(r[at + field]!) ? null : r[at + field]!);
    const source = value(FIELDS.powerSource);
    const reasons = value(FIELDS.clockEventReasons);
    return {
      timeSeconds: r[at + FIELDS.time]!,
      energyJoules: value(FIELDS.energy),
      powerWatts: value(FIELDS.power),
      powerSource: source === null ? null : POWER_SOURCES[source]!,
      temperatureCelsius: value(FIELDS.temperature),
      memoryUsedBytes: value(FIELDS.memoryUsed),
      smClockMhz: value(FIELDS.smClock),
      memoryClockMhz: value(FIELDS.memoryClock),
      utilizationGpuPercent: value(FIELDS.utilizationGpu),
      utilizationMemoryPercent: value(FIELDS.utilizationMemory),
      clockEventReasons: reasons === null ? null : BigInt(reasons),
      errorCount: r[at + FIELDS.errorCount]!,
      uuid: this.#uuids[r[at + FIELDS.gpu]!]!,
      phase: PHASES[r[at + FIELDS.phase]!] ?? "idle",
    };
  }
}
