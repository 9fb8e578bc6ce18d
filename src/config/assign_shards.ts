import type { PlannedRun } from "./build_plan.ts";
import type { Shard } from "./parse_shard.ts";

/**
 * Runs that go to one shard together: sessions (their runs share one loaded model) joined with every
 * other session that measures one of their experiments (an experiment's cycles are compared with each
 * other, so they run on the same machine and GPUs, and its statistics across cycles stay in one shard).
 */
interface Block {
  /** The block's first session: its key. */
  session: number;
  /** Position in the plan of the block's first run. */
  first: number;
  /** How many runs the block has. */
  runs: number;
}

/**
 * The shard (0 to count-1) of every run of a plan, by position in `runs`. Whole blocks are dealt out,
 * never split: a block is a session (its runs share one loaded model) together with every session that
 * measures one of its experiments, so an experiment's cycles, compared with each other, run on one shard.
 * Largest block first (ties: the one that starts earlier in the plan), each to the shard with the fewest
 * runs so far (ties: the lowest index). This is list scheduling in longest-first order: no shard has more
 * runs than another by more than the largest block, and the busiest shard has at most 4/3 of the runs
 * the best possible split would give it.
 *
 * The result depends only on each run's `session`, `experiment` and position and on `count`: every
 * machine, every requeue and every resume derives the same split from the same plan. Pass the whole
 * plan's runs, never the runs a resume has left, or the split changes. With more shards than blocks, the
 * shards past the blocks get no runs (their index appears nowhere in the result); such a shard has
 * nothing to do.
 */
export function assignShards(runs: readonly PlannedRun[], count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`assignShards() needs a whole number of shards of 1 or more, got ${count}`);
  }
  const blockOf = blockOfSession(runs);
  const blocks = blockList(runs, blockOf).sort((a, b) => b.runs - a.runs || a.first - b.first);
  const shards = new LeastLoaded(count);
  const shardOfBlock = new Map<number, number>();
  for (const block of blocks) shardOfBlock.set(block.session, shards.add(block.runs));
  return runs.map((run) => shardOfBlock.get(blockOf(run.session))!);
}

/** The runs of one shard, in the plan's execution order (see assignShards() for the split). */
export function shardRuns(runs: readonly PlannedRun[], shard: Shard): PlannedRun[] {
  if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new RangeError(`shardRuns() got shard ${shard.index} of ${shard.count}; parseShard() checks this`);
  }
  const shardOf = assignShards(runs, shard.count);
  return runs.filter((_, position) => shardOf[position] === shard.index);
}

/**
 * Each session's block, named by the block's first session in plan order: sessions that share an
 * experiment are joined (union-find over sessions, the earliest as each set's root).
 */
function blockOfSession(runs: readonly PlannedRun[]): (session: number) => number {
  const parent = new Map<number, number>();
  const firstPosition = new Map<number, number>();
  const root = (session: number): number => {
    let at = session;
    while (parent.get(at) !== at) at = parent.get(at)!;
    parent.set(session, at);
    return at;
  };
  const sessionOfExperiment = new Map<number, number>();
  for (const [position, run] of runs.entries()) {
    if (!parent.has(run.session)) {
      parent.set(run.session, run.session);
      firstPosition.set(run.session, position);
    }
    const other = sessionOfExperiment.get(run.experiment);
    if (other === undefined) {
      sessionOfExperiment.set(run.experiment, run.session);
      continue;
    }
    const [a, b] = [root(other), root(run.session)];
    if (a === b) continue;
    const [early, late] = firstPosition.get(a)! <= firstPosition.get(b)! ? [a, b] : [b, a];
    parent.set(late, early);
  }
  return root;
}

/** The blocks, keyed by their first session, with where each starts and how many runs it has. */
function blockList(runs: readonly PlannedRun[], blockOf: (session: number) => number): Block[] {
  const blocks = new Map<number, Block>();
  for (const [position, run] of runs.entries()) {
    const key = blockOf(run.session);
    const block = blocks.get(key);
    if (block) block.runs += 1;
    else blocks.set(key, { session: key, first: position, runs: 1 });
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
