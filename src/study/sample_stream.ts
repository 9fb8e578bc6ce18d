import type { Sampler } from "../gpu/sampler.ts";
import type { SamplePhase, TaggedSample } from "../gpu/sampler_protocol.ts";
import type { StudyClock } from "./study_ports.ts";

/** How often the stream moves samples from the sampler to their collections, between explicit pumps. */
export const PUMP_INTERVAL_MS = 1000;

/** Samples of some GPUs gathered from open() until close(). */
export interface SampleCollection {
  /** The samples so far, oldest first. */
  readonly samples: readonly TaggedSample[];
  /** Samples the sampler dropped while this collection was open (nobody drained them in time). */
  readonly droppedSamples: number;
  /** The first error its sink threw (a timeseries file that could not be written), or null. */
  readonly failure: unknown;
  /** Stop collecting; the samples stay readable. */
  close(): void;
}

/** A collection's receiving end. */
interface OpenCollection extends SampleCollection {
  take(batch: readonly TaggedSample[]): void;
  dropped(count: number): void;
}

/**
 * The study's one sampler, as a stream: samples move from the sampler to whoever collects them (a
 * baseline, a loaded-idle measurement, a run and its timeseries file) at every pump() and once a second
 * in between, so the sampler's buffer never fills however long a window lasts. Samples nobody collects
 * (between runs) are dropped on purpose.
 */
export class SampleStream {
  readonly #sampler: Sampler;
  readonly #collections = new Set<OpenCollection>();
  readonly #stopPumping: () => void;
  #droppedSeen = 0;

  constructor(sampler: Sampler, clock: StudyClock) {
    this.#sampler = sampler;
    // A timed pump throws nothing: a sink's failure stays with its collection, the sampler's with it.
    this.#stopPumping = clock.every(PUMP_INTERVAL_MS, () => this.#move());
  }

  /** Label the samples taken from now on. */
  setPhase(phase: SamplePhase): void {
    this.#sampler.setPhase(phase);
  }

  /** Give the samples received so far to the open collections; throws the sampler's failure, if any. */
  pump(): void {
    this.#move();
    if (this.#sampler.failure) throw this.#sampler.failure;
  }

  /** Wait until every sample taken so far has reached this side, then pump(). */
  async flush(): Promise<void> {
    await this.#sampler.flush();
    this.pump();
  }

  /**
   * Collect the samples of `uuids` from now on; each batch also goes to `sink` (a run's timeseries). A
   * sink that throws is not given more, and its error is the collection's `failure`.
   */
  collect(uuids: readonly string[], sink?: (samples: readonly TaggedSample[]) => void): SampleCollection {
    const wanted = new Set(uuids);
    const samples: TaggedSample[] = [];
    const collections = this.#collections;
    const collection: OpenCollection = {
      samples,
      droppedSamples: 0,
      failure: null,
      take(batch) {
        const own = batch.filter((sample) => wanted.has(sample.uuid));
        // One push per sample: a spread of a long window's batch would overflow the call stack.
        for (const sample of own) samples.push(sample);
        if (own.length === 0 || !sink || this.failure !== null) return;
        try {
          sink(own);
        } catch (error) {
          (this as { failure: unknown }).failure = error;
        }
      },
      dropped(count) {
        (this as { droppedSamples: number }).droppedSamples += count;
      },
      close() {
        collections.delete(collection);
      },
    };
    collections.add(collection);
    return collection;
  }

  /** Stop the timed pumps and the sampler; rejects with the sampler's failure, if any. */
  async stop(): Promise<void> {
    this.#stopPumping();
    this.#collections.clear();
    await this.#sampler.stop();
  }

  #move(): void {
    const batch = this.#sampler.drain();
    const dropped = this.#sampler.droppedSamples - this.#droppedSeen;
    this.#droppedSeen += dropped;
    for (const collection of this.#collections) {
      if (dropped > 0) collection.dropped(dropped);
      collection.take(batch);
    }
  }
}
