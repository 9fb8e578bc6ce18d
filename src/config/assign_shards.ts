import type { PlannedRun } from "./build_plan.ts";
import type { Shard } from "./parse_shard.ts";

/** A session of the plan: its runs share one loaded model, so they go to one shard together. */
interface SessionBlock {
  session: number;
  /** Position in the plan of the session's first run. */
  first: number;
  /** How many runs the session has. */
  runs: number;
}

/**
 * The shard (0 to count-1) of every run of a plan, by position in `runs`. Whole sessions are dealt out,
 * never split: their runs share one loaded model. Largest session first (ties: the one that starts
 * earlier in the plan), each to the shard with the fewest runs so far (ties: the lowest index). This is
 * list scheduling in longest-first order: no shard has more runs than another by more than the largest
 * session, and the busiest shard has at most 4/3 of the runs the best possible split would give it.
 *
 * The result depends only on each run's `session` and position and on `count`: every machine, every
 * requeue and every resume derives the same split from the same plan. Pass the whole plan's runs, never
 * the runs a resume has left, or the split changes. With more shards than sessions, the shards past the
 * sessions get no runs (their index appears nowhere in the result); such a shard has nothing to do.
 */
export function assignShards(runs: readonly PlannedRun[], count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`assignShards() needs a whole number of shards of 1 or more, got ${count}`);
  }
  const blocks = sessionBlocks(runs).sort((a, b) => b.runs - a.runs || a.first - b.first);
  const shards = new LeastLoaded(count);
  const shardOfSession = new Map<number, number>();
  for (const block of blocks) shardOfSession.set(block.session, shards.add(block.runs));
  return runs.map((run) => shardOfSession.get(run.session)!);
}

/** The runs of one shard, in the plan's execution order (see assignShards() for the split). */
export function shardRuns(runs: readonly PlannedRun[], shard: Shard): PlannedRun[] {
  if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new RangeError(`shardRuns() got shard ${shard.index} of ${shard.count}; parseShard() checks this`);
  }
  const shardOf = assignShards(runs, shard.count);
  return runs.filter((_, position) => shardOf[position] === shard.index);
}

/** The plan's sessions, in the order their first runs appear. */
function sessionBlocks(runs: readonly PlannedRun[]): SessionBlock[] {
  const blocks = new Map<number, SessionBlock>();
  for (const [position, run] of runs.entries()) {
    const block = blocks.get(run.session);
    if (block) block.runs += 1;
    else blocks.set(run.session, { session: run.session, first: position, runs: 1 });
  }
  return [...blocks.values()];
}

/**
 * Shards ordered by (runs so far, index) in a binary min-heap: finding the least-loaded shard costs
 * log(count), not count, so 100,000 sessions over 10,000 shards take milliseconds.
 */
class LeastLoaded {
  readonly #loads: number[];
  /** Shard indices; 0..count-1 in order is already a valid heap, all loads being 0. */
  readonly #heap: number[];

  constructor(count: number) {
    this.#loads = new Array<number>(count).fill(0);
    this.#heap = Array.from({ length: count }, (_, shard) => shard);
  }

  /** Give `runs` runs to the least-loaded shard (the lowest index among equals); returns that shard. */
  add(runs: number): number {
    const shard = this.#heap[0]!;
    this.#loads[shard]! += runs;
    this.#siftDown();
    return shard;
  }

  /** Whether shard a comes before shard b: fewer runs, or as many and a lower index. */
  #before(a: number, b: number): boolean {
    const loadA = this.#loads[a]!;
    const loadB = this.#loads[b]!;
    return loadA < loadB || (loadA === loadB && a < b);
  }

  /** Restore the heap after the root's load grew. */
  #siftDown(): void {
    const heap = this.#heap;
    for (let at = 0;;) {
      let first = at;
      for (const child of [2 * at + 1, 2 * at + 2]) {
        if (child < heap.length && this.#before(heap[child]!, heap[first]!)) first = child;
      }
      if (first === at) return;
      [heap[at], heap[first]] = [heap[first]!, heap[at]!];
      at = first;
    }
  }
}
