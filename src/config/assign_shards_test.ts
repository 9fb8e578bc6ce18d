import assert from "node:assert/strict";
import { memoryFiles } from "../../tests/memory_files.ts";
import { assignShards, shardRuns } from "./assign_shards.ts";
import type { PlannedRun } from "./build_plan.ts";
import { mulberry32 } from "./order_runs.ts";
import { planStudy } from "./plan_study.ts";

/** A plan's runs in execution order: session 1 has sizes[0] runs, session 2 sizes[1], and so on. */
function runsOf(sizes: readonly number[]): PlannedRun[] {
  const sessions = sizes.flatMap((size, i) => Array.from({ length: size }, () => i + 1));
  return sessions.map((session, i) => ({
    index: i + 1,
    cycle: 0,
    experiment: session,
    measurement_config_hash: `hash${session}`,
    engine: "transformers",
    model: `model${session}`,
    session,
    gap_before_seconds: i === 0 ? 0 : 60,
    gap_kind: i === 0 ? "none" : "experiment",
  }));
}

/** Session sizes of a random plan: 0 to 60 sessions of 1 to 8 runs, now and then one of up to 40. */
function randomSizes(random: () => number): number[] {
  const sessions = Math.floor(random() * 61);
  return Array.from({ length: sessions }, () => 1 + Math.floor(random() * (random() < 0.1 ? 40 : 8)));
}

/** Runs per shard. */
function loadsOf(shardOf: readonly number[], count: number): number[] {
  const loads = new Array<number>(count).fill(0);
  for (const shard of shardOf) loads[shard]! += 1;
  return loads;
}

/** Every random plan the property tests try: a seeded stream, the same on every run of the tests. */
function* randomCases(): Generator<{ runs: PlannedRun[]; sizes: number[]; count: number }> {
  const random = mulberry32(20240611);
  for (let i = 0; i < 500; i++) {
    const sizes = randomSizes(random);
    // Up to a few more shards than sessions, so some cases leave shards empty.
    const count = 1 + Math.floor(random() * (sizes.length + 5));
    yield { runs: runsOf(sizes), sizes, count };
  }
}

Deno.test("assignShards() gives every run to shard 0 when there is one shard", () => {
  assert.deepEqual(assignShards(runsOf([3, 1, 2]), 1), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(shardRuns(runsOf([3, 1, 2]), { index: 0, count: 1 }), runsOf([3, 1, 2]));
});

Deno.test("assignShards() deals the largest session first, to the shard with the fewest runs", () => {
  // Session 4 (3 runs) goes first, to shard 0; sessions 1 to 3 then fill shard 1 up to 3 runs. In plan
  // order, sessions 1 and 3 would go to shard 0 and sessions 2 and 4 to shard 1: 2 runs against 4.
  assert.deepEqual(assignShards(runsOf([1, 1, 1, 3]), 2), [1, 1, 1, 0, 0, 0]);
});

Deno.test("assignShards() breaks ties by plan order: equal sessions go round the shards", () => {
  assert.deepEqual(assignShards(runsOf([2, 2, 2, 2, 2]), 3), [0, 0, 1, 1, 2, 2, 0, 0, 1, 1]);
  // Sessions 2 and 3 are equal: 2 starts earlier, so it takes shard 0 and 3 takes shard 1; session 1 then
  // finds both at 3 runs and takes the lower, shard 0.
  assert.deepEqual(assignShards(runsOf([1, 3, 3]), 2), [0, 0, 0, 0, 1, 1, 1]);
});

Deno.test("assignShards() gives the lowest-indexed shard among the least loaded", () => {
  // Sessions of 3, 2 and 2 runs fill shards 0, 1 and 2. The first 1-run session finds shards 1 and 2 tied
  // at 2 runs and takes shard 1; the second takes shard 2, now the lighter. Then with 3 shards tied at 3,
  // the next goes to shard 0.
  assert.deepEqual(assignShards(runsOf([3, 2, 2, 1, 1, 1]), 3), [0, 0, 0, 1, 1, 2, 2, 1, 2, 0]);
});

Deno.test("assignShards() leaves the shards past the sessions empty when there are more shards", () => {
  const runs = runsOf([1, 3]);
  assert.deepEqual(assignShards(runs, 5), [1, 0, 0, 0]);
  assert.deepEqual(shardRuns(runs, { index: 0, count: 5 }).map((r) => r.index), [2, 3, 4]);
  assert.deepEqual(shardRuns(runs, { index: 1, count: 5 }).map((r) => r.index), [1]);
  for (const index of [2, 3, 4]) assert.deepEqual(shardRuns(runs, { index, count: 5 }), [], `shard ${index}`);
});

Deno.test("assignShards() returns nothing for a plan with no runs, whatever the count", () => {
  assert.deepEqual(assignShards([], 1), []);
  assert.deepEqual(assignShards([], 10_000), []);
  assert.deepEqual(shardRuns([], { index: 3, count: 4 }), []);
});

Deno.test("assignShards() keeps a session's runs together even when they are not adjacent", () => {
  // buildPlan() numbers each block of consecutive runs anew, but the split must not rely on it.
  const runs = runsOf([2, 2, 2]);
  const mixed = [runs[0]!, runs[2]!, runs[1]!, runs[4]!, runs[3]!, runs[5]!];
  assert.deepEqual(assignShards(mixed, 3), [0, 1, 0, 2, 1, 2]);
});

Deno.test("assignShards() depends on the runs' sessions and order alone: every machine splits alike", () => {
  for (const { runs, count } of randomCases()) {
    const shardOf = assignShards(runs, count);
    assert.deepEqual(assignShards(runs, count), shardOf);
    assert.deepEqual(assignShards(structuredClone(runs), count), shardOf);
    const renamed = runs.map((run) => ({
      ...run,
      model: `other/${run.model}`,
      measurement_config_hash: "0000000000000000",
      gap_before_seconds: 0,
    }));
    assert.deepEqual(assignShards(renamed, count), shardOf);
  }
});

Deno.test("assignShards() gives every run one shard, and the shards together give back the plan", () => {
  for (const { runs, count } of randomCases()) {
    const shardOf = assignShards(runs, count);
    assert.equal(shardOf.length, runs.length);
    for (const shard of shardOf) {
      assert.ok(Number.isInteger(shard) && shard >= 0 && shard < count, `${shard}`);
    }
    const parts = Array.from({ length: count }, (_, index) => shardRuns(runs, { index, count }));
    const indices = parts.flat().map((run) => run.index);
    assert.equal(new Set(indices).size, indices.length, "a run is in two shards");
    assert.deepEqual(indices.sort((a, b) => a - b), runs.map((run) => run.index));
    for (const [index, part] of parts.entries()) {
      // Within a shard, the plan's execution order: the same runs, the same objects, ascending index.
      assert.deepEqual(part, runs.filter((_, position) => shardOf[position] === index));
      for (let i = 1; i < part.length; i++) assert.ok(part[i - 1]!.index < part[i]!.index);
    }
  }
});

Deno.test("assignShards() never splits a session", () => {
  for (const { runs, count } of randomCases()) {
    const shardOf = assignShards(runs, count);
    const shardOfSession = new Map<number, number>();
    for (const [position, run] of runs.entries()) {
      const shard = shardOfSession.get(run.session) ?? shardOf[position]!;
      assert.equal(shardOf[position], shard, `session ${run.session} split over shards`);
      shardOfSession.set(run.session, shard);
    }
  }
});

Deno.test("assignShards() balances shards to within the largest session's runs", () => {
  let tried = 0;
  for (const { runs, sizes, count } of randomCases()) {
    if (runs.length === 0) continue;
    const loads = loadsOf(assignShards(runs, count), count);
    const largest = Math.max(...sizes);
    assert.ok(
      Math.max(...loads) - Math.min(...loads) <= largest,
      `loads ${loads} for sessions ${sizes} over ${count} shards`,
    );
    // No shard is idle while another holds two sessions or more.
    if (count <= sizes.length) assert.ok(Math.min(...loads) > 0, `an idle shard: ${loads}`);
    tried += 1;
  }
  assert.ok(tried > 400);
});

/** The documented rule, written the slow, obvious way: a scan of every shard for every session. */
function referenceSplit(sizes: readonly number[], count: number): number[] {
  const order = sizes.map((size, session) => ({ size, session }))
    .sort((a, b) => b.size - a.size || a.session - b.session);
  const loads = new Array<number>(count).fill(0);
  const shardOfSession = new Array<number>(sizes.length);
  for (const { size, session } of order) {
    const lightest = loads.indexOf(Math.min(...loads));
    shardOfSession[session] = lightest;
    loads[lightest]! += size;
  }
  return sizes.flatMap((size, session) => new Array<number>(size).fill(shardOfSession[session]!));
}

Deno.test("assignShards() follows its rule exactly: largest session first, to the least-loaded shard", () => {
  for (const { runs, sizes, count } of randomCases()) {
    assert.deepEqual(assignShards(runs, count), referenceSplit(sizes, count), `${sizes} over ${count}`);
  }
});

Deno.test("shardRuns() splits a planned study by model load: a session's runs stay on one shard", () => {
  const plan = planStudy(
    "study.yaml",
    memoryFiles({
      "study.yaml":
        "model: m\nsweep:\n  generation.batch_size: [1, 2]\n  generation.dtype: [float16, bfloat16]\n" +
        "execution: {order: sequential, n_cycles: 3}\n",
    }),
  );
  // dtype reloads the model: runs 1-6 load float16, runs 7-12 bfloat16.
  assert.deepEqual(plan.runs.map((r) => r.session), [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual(shardRuns(plan.runs, { index: 0, count: 2 }), plan.runs.slice(0, 6));
  assert.deepEqual(shardRuns(plan.runs, { index: 1, count: 2 }), plan.runs.slice(6));
  assert.deepEqual(shardRuns(plan.runs, { index: 2, count: 3 }), []);
});

Deno.test("assignShards() and shardRuns() refuse a shard parseShard() would not give", () => {
  const runs = runsOf([1]);
  for (const count of [0, -1, 1.5, Number.NaN]) assert.throws(() => assignShards(runs, count), RangeError);
  for (const index of [-1, 2, 0.5]) assert.throws(() => shardRuns(runs, { index, count: 2 }), RangeError);
});

Deno.test("assignShards() keeps an experiment's cycles on one shard, with every session they share", () => {
  // Sessions 1 and 3 measure experiment 1 (cycles 0 and 1); session 2 measures experiment 2 alone.
  const runs = runsOf([2, 2, 2]).map((run) => ({ ...run, experiment: run.session === 3 ? 1 : run.session }));
  // Session by session, three shards would take one each; sessions 1 and 3 are one block of 4 runs.
  assert.deepEqual(assignShards(runs, 3), [0, 0, 1, 1, 0, 0]);
});

Deno.test("shardRuns() of an interleaved study: each experiment's cycles stay on one shard", () => {
  const plan = planStudy(
    "study.yaml",
    memoryFiles({
      "study.yaml": "model: m\nsweep:\n  generation.dtype: [float16, bfloat16, float32]\n" +
        "execution: {order: interleave, n_cycles: 2}\n",
    }),
  );
  // Interleaved, each run loads differently from the one before: six sessions, three experiments.
  assert.equal(new Set(plan.runs.map((r) => r.session)).size, 6);
  // Session by session, two shards would alternate and split every experiment's cycles.
  const shards = [0, 1].map((index) => shardRuns(plan.runs, { index, count: 2 }));
  assert.deepEqual(shards.map((runs) => runs.length), [4, 2]);
  for (const experiment of [1, 2, 3]) {
    const holders = shards.filter((runs) => runs.some((r) => r.experiment === experiment));
    assert.equal(holders.length, 1, `experiment ${experiment}'s cycles on one shard`);
  }
});
