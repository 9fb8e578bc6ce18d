import assert from "node:assert/strict";
import { ORDERS } from "./execution_config.ts";
import { mulberry32, orderRuns, type RunSlot, seedFromDesignHash, williamsSquare } from "./order_runs.ts";

const KS = Array.from({ length: 12 }, (_, i) => i + 1);
const CYCLES = Array.from({ length: 7 }, (_, i) => i + 1);

/** The experiments of one cycle, in execution order. */
function cycleSequence(runs: readonly RunSlot[], cycle: number): number[] {
  return runs.filter((run) => run.cycle === cycle).map((run) => run.experiment);
}

function range(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i);
}

function isPermutation(values: readonly number[], k: number): boolean {
  return values.length === k && [...values].sort((a, b) => a - b).every((value, i) => value === i);
}

/** How often each ordered pair (a, b) appears with a immediately followed by b, over all rows. */
function adjacentPairCounts(rows: readonly number[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    for (let i = 0; i + 1 < row.length; i++) {
      const key = `${row[i]},${row[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** The reference Mulberry32 (Tommy Ettinger's public-domain version). */
function referenceMulberry32(a: number): () => number {
  return () => {
    let t = a += 0x6D2B79F5;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- orderRuns: properties for every order

Deno.test("orderRuns yields exactly count x cycles runs, each (experiment, cycle) pair once, for every order", () => {
  for (const order of ORDERS) {
    for (const k of KS) {
      for (const cycles of CYCLES) {
        const runs = orderRuns(k, { order, cycles, seed: 1234 });
        assert.equal(runs.length, k * cycles, `${order} k=${k} cycles=${cycles}`);
        const seen = new Set(runs.map((run) => `${run.experiment}/${run.cycle}`));
        assert.equal(seen.size, k * cycles, `${order} k=${k} cycles=${cycles}: duplicate pair`);
        for (const run of runs) {
          assert.ok(Number.isInteger(run.experiment) && run.experiment >= 0 && run.experiment < k);
          assert.ok(Number.isInteger(run.cycle) && run.cycle >= 0 && run.cycle < cycles);
        }
      }
    }
  }
});

Deno.test("orderRuns runs non-sequential orders cycle by cycle, each experiment exactly once per cycle", () => {
  for (const order of ORDERS.filter((o) => o !== "sequential")) {
    for (const k of KS) {
      for (const cycles of CYCLES) {
        const runs = orderRuns(k, { order, cycles, seed: 99 });
        // Cycles are contiguous blocks of k runs, in increasing cycle order.
        runs.forEach((run, index) => assert.equal(run.cycle, Math.floor(index / k), `${order} k=${k}`));
        for (let cycle = 0; cycle < cycles; cycle++) {
          assert.ok(isPermutation(cycleSequence(runs, cycle), k), `${order} k=${k} cycle=${cycle}`);
        }
      }
    }
  }
});

Deno.test("orderRuns returns nothing for zero experiments or zero cycles", () => {
  for (const order of ORDERS) {
    assert.deepEqual(orderRuns(0, { order, cycles: 3, seed: 1 }), [], order);
    assert.deepEqual(orderRuns(4, { order, cycles: 0, seed: 1 }), [], order);
  }
});

// ---------------------------------------------------------------- sequential

Deno.test("orderRuns sequential runs all cycles of one experiment before the next (AAABBB)", () => {
  assert.deepEqual(orderRuns(2, { order: "sequential", cycles: 3, seed: 0 }), [
    { experiment: 0, cycle: 0 },
    { experiment: 0, cycle: 1 },
    { experiment: 0, cycle: 2 },
    { experiment: 1, cycle: 0 },
    { experiment: 1, cycle: 1 },
    { experiment: 1, cycle: 2 },
  ]);
  for (const k of KS) {
    for (const cycles of CYCLES) {
      const runs = orderRuns(k, { order: "sequential", cycles, seed: 7 });
      runs.forEach((run, index) => {
        assert.equal(run.experiment, Math.floor(index / cycles), `k=${k} cycles=${cycles}`);
        assert.equal(run.cycle, index % cycles, `k=${k} cycles=${cycles}`);
      });
    }
  }
});

Deno.test("orderRuns sequential ignores the seed", () => {
  assert.deepEqual(
    orderRuns(6, { order: "sequential", cycles: 4, seed: 1 }),
    orderRuns(6, { order: "sequential", cycles: 4, seed: 0xFFFFFFFF }),
  );
});

// ---------------------------------------------------------------- interleave

Deno.test("orderRuns interleave runs every experiment in forward order in each cycle (ABAB)", () => {
  assert.deepEqual(orderRuns(2, { order: "interleave", cycles: 2, seed: 0 }), [
    { experiment: 0, cycle: 0 },
    { experiment: 1, cycle: 0 },
    { experiment: 0, cycle: 1 },
    { experiment: 1, cycle: 1 },
  ]);
  for (const k of KS) {
    for (const cycles of CYCLES) {
      const runs = orderRuns(k, { order: "interleave", cycles, seed: 5 });
      for (let cycle = 0; cycle < cycles; cycle++) assert.deepEqual(cycleSequence(runs, cycle), range(k));
    }
  }
});

// ---------------------------------------------------------------- reverse

Deno.test("orderRuns reverse runs even cycles forward and odd cycles backward (AB BA)", () => {
  assert.deepEqual(
    orderRuns(3, { order: "reverse", cycles: 3, seed: 0 }).map((run) => [run.cycle, run.experiment]),
    [[0, 0], [0, 1], [0, 2], [1, 2], [1, 1], [1, 0], [2, 0], [2, 1], [2, 2]],
  );
  for (const k of KS) {
    for (const cycles of CYCLES) {
      const runs = orderRuns(k, { order: "reverse", cycles, seed: 5 });
      for (let cycle = 0; cycle < cycles; cycle++) {
        const expected = cycle % 2 === 0 ? range(k) : range(k).reverse();
        assert.deepEqual(cycleSequence(runs, cycle), expected, `k=${k} cycle=${cycle}`);
      }
    }
  }
});

// ---------------------------------------------------------------- shuffle

Deno.test("orderRuns shuffle is deterministic for the same seed", () => {
  for (const k of KS) {
    for (const seed of [0, 1, 42, 0xDEADBEEF, 0xFFFFFFFF]) {
      assert.deepEqual(
        orderRuns(k, { order: "shuffle", cycles: 5, seed }),
        orderRuns(k, { order: "shuffle", cycles: 5, seed }),
        `k=${k} seed=${seed}`,
      );
    }
  }
});

Deno.test("orderRuns shuffle gives a permutation in every cycle", () => {
  for (const k of KS) {
    for (const seed of [0, 3, 1000, 0xCAFEBABE]) {
      const runs = orderRuns(k, { order: "shuffle", cycles: 7, seed });
      for (let cycle = 0; cycle < 7; cycle++) {
        assert.ok(isPermutation(cycleSequence(runs, cycle), k), `k=${k} seed=${seed} cycle=${cycle}`);
      }
    }
  }
});

Deno.test("orderRuns shuffle changes with the seed (k >= 5)", () => {
  for (let k = 5; k <= 12; k++) {
    const base = JSON.stringify(orderRuns(k, { order: "shuffle", cycles: 2, seed: 1 }));
    const others = [2, 3, 42, 12345, 0xFFFFFFFF].map((seed) =>
      JSON.stringify(orderRuns(k, { order: "shuffle", cycles: 2, seed }))
    );
    assert.ok(others.some((other) => other !== base), `k=${k}: every seed gave the same order`);
  }
});

Deno.test("orderRuns shuffle actually reorders: across cycles and seeds not every cycle is forward", () => {
  for (let k = 3; k <= 12; k++) {
    const runs = orderRuns(k, { order: "shuffle", cycles: 7, seed: 2024 });
    const sequences = Array.from({ length: 7 }, (_, cycle) => JSON.stringify(cycleSequence(runs, cycle)));
    assert.ok(sequences.some((s) => s !== JSON.stringify(range(k))), `k=${k}: never shuffled`);
    // Successive cycles draw fresh permutations rather than repeating one.
    assert.ok(new Set(sequences).size > 1, `k=${k}: every cycle identical`);
  }
});

Deno.test("orderRuns shuffle is a Fisher-Yates shuffle driven by mulberry32(seed)", () => {
  const seed = 777;
  const k = 8;
  const random = mulberry32(seed);
  const expected: number[][] = [];
  for (let cycle = 0; cycle < 3; cycle++) {
    const copy = range(k);
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    expected.push(copy);
  }
  const runs = orderRuns(k, { order: "shuffle", cycles: 3, seed });
  assert.deepEqual([0, 1, 2].map((cycle) => cycleSequence(runs, cycle)), expected);
});

Deno.test("orderRuns shuffle of k experiments reaches every permutation for small k", () => {
  // k = 3 has 6 orders; a fair shuffle over many seeds should produce all of them.
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    seen.add(JSON.stringify(cycleSequence(orderRuns(3, { order: "shuffle", cycles: 1, seed }), 0)));
  }
  assert.equal(seen.size, 6);
});

// ---------------------------------------------------------------- latin_square

Deno.test("orderRuns latin_square cycle c uses Williams row c mod rows", () => {
  for (const k of KS) {
    const square = williamsSquare(k);
    for (const cycles of CYCLES) {
      const runs = orderRuns(k, { order: "latin_square", cycles, seed: 0 });
      for (let cycle = 0; cycle < cycles; cycle++) {
        assert.deepEqual(cycleSequence(runs, cycle), square[cycle % square.length], `k=${k} cycle=${cycle}`);
      }
    }
  }
  // Wrap-around explicitly: k = 2 has 2 rows, so cycle 2 repeats row 0.
  const runs = orderRuns(2, { order: "latin_square", cycles: 3, seed: 0 });
  assert.deepEqual(cycleSequence(runs, 2), cycleSequence(runs, 0));
  assert.deepEqual(cycleSequence(runs, 1), [1, 0]);
});

Deno.test("orderRuns latin_square over a full square of cycles is carry-over balanced (even k)", () => {
  for (const k of [2, 4, 6, 8, 10, 12]) {
    const runs = orderRuns(k, { order: "latin_square", cycles: k, seed: 0 });
    const rows = range(k).map((cycle) => cycleSequence(runs, cycle));
    const counts = adjacentPairCounts(rows);
    assert.equal(counts.size, k * (k - 1), `k=${k}`);
    for (const count of counts.values()) assert.equal(count, 1, `k=${k}`);
  }
});

// ---------------------------------------------------------------- williamsSquare

Deno.test("williamsSquare(4) is the textbook Williams design", () => {
  assert.deepEqual(williamsSquare(4), [
    [0, 1, 3, 2],
    [1, 2, 0, 3],
    [2, 3, 1, 0],
    [3, 0, 2, 1],
  ]);
});

Deno.test("williamsSquare(3) appends the mirrored rows", () => {
  assert.deepEqual(williamsSquare(3), [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
    [0, 2, 1],
    [1, 0, 2],
  ]);
});

Deno.test("williamsSquare rows are permutations of 0..k-1", () => {
  for (const k of KS) {
    for (const row of williamsSquare(k)) assert.ok(isPermutation(row, k), `k=${k}: ${row}`);
  }
});

Deno.test("williamsSquare has k rows for even k and 2k rows for odd k > 1", () => {
  for (const k of KS) {
    const expected = k % 2 === 0 || k === 1 ? k : 2 * k;
    assert.equal(williamsSquare(k).length, expected, `k=${k}`);
  }
});

Deno.test("williamsSquare for even k: every ordered pair a != b is adjacent exactly once", () => {
  for (const k of [2, 4, 6, 8, 10, 12]) {
    const counts = adjacentPairCounts(williamsSquare(k));
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        if (a === b) assert.equal(counts.get(`${a},${b}`), undefined, `k=${k}: ${a} follows itself`);
        else assert.equal(counts.get(`${a},${b}`), 1, `k=${k}: pair ${a},${b}`);
      }
    }
  }
});

Deno.test("williamsSquare for odd k > 1: every ordered pair a != b is adjacent exactly twice", () => {
  for (const k of [3, 5, 7, 9, 11]) {
    const counts = adjacentPairCounts(williamsSquare(k));
    assert.equal(counts.size, k * (k - 1), `k=${k}`);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        if (a !== b) assert.equal(counts.get(`${a},${b}`), 2, `k=${k}: pair ${a},${b}`);
      }
    }
  }
});

Deno.test("williamsSquare columns of the first k rows hold each treatment once (Latin square)", () => {
  for (const k of KS) {
    const rows = williamsSquare(k).slice(0, k);
    assert.equal(rows.length, k);
    for (let column = 0; column < k; column++) {
      assert.ok(isPermutation(rows.map((row) => row[column]!), k), `k=${k} column=${column}`);
    }
  }
});

Deno.test("williamsSquare for odd k: the mirrored half is also a Latin square and mirrors the first half", () => {
  for (const k of [3, 5, 7, 9, 11]) {
    const rows = williamsSquare(k);
    for (let i = 0; i < k; i++) assert.deepEqual(rows[k + i], [...rows[i]!].reverse(), `k=${k} row=${i}`);
    const mirrored = rows.slice(k);
    for (let column = 0; column < k; column++) {
      assert.ok(isPermutation(mirrored.map((row) => row[column]!), k), `k=${k} column=${column}`);
    }
  }
});

Deno.test("williamsSquare row i starts with treatment i", () => {
  for (const k of KS) {
    williamsSquare(k).slice(0, k).forEach((row, i) => assert.equal(row[0], i, `k=${k}`));
  }
});

Deno.test("williamsSquare handles the degenerate sizes 0 and 1", () => {
  assert.deepEqual(williamsSquare(0), [[]]);
  assert.deepEqual(williamsSquare(1), [[0]]);
});

// ---------------------------------------------------------------- seedFromDesignHash

Deno.test("seedFromDesignHash takes the low 32 bits of the hex hash", () => {
  assert.equal(seedFromDesignHash("00000000ffffffff"), 0xffffffff);
  assert.equal(seedFromDesignHash("ffffffff00000000"), 0);
  assert.equal(seedFromDesignHash("123456789abcdef0"), 0x9abcdef0);
  assert.equal(seedFromDesignHash("0000000000000001"), 1);
  assert.equal(seedFromDesignHash("deadbeef"), 0xdeadbeef);
  assert.equal(seedFromDesignHash("ABCDEF0123456789"), 0x23456789);
});

Deno.test("seedFromDesignHash always returns a non-negative 32-bit integer", () => {
  for (const hash of ["ffffffffffffffff", "8000000080000000", "0000000000000000", "7fffffffffffffff"]) {
    const seed = seedFromDesignHash(hash);
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 0xFFFFFFFF, `${hash} -> ${seed}`);
  }
  assert.equal(seedFromDesignHash("8000000080000000"), 0x80000000);
});

// ---------------------------------------------------------------- mulberry32

Deno.test("mulberry32 returns floats in [0, 1)", () => {
  for (const seed of [0, 1, 42, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]) {
    const random = mulberry32(seed);
    for (let i = 0; i < 5000; i++) {
      const value = random();
      assert.ok(value >= 0 && value < 1, `seed=${seed} draw=${i}: ${value}`);
    }
  }
});

Deno.test("mulberry32 is deterministic: the same seed gives the same stream", () => {
  for (const seed of [0, 7, 0xDEADBEEF]) {
    const a = mulberry32(seed);
    const b = mulberry32(seed);
    for (let i = 0; i < 100; i++) assert.equal(a(), b());
  }
});

Deno.test("mulberry32 streams for different seeds differ", () => {
  const a = mulberry32(1);
  const b = mulberry32(2);
  const first = Array.from({ length: 10 }, () => a());
  const second = Array.from({ length: 10 }, () => b());
  assert.notDeepEqual(first, second);
});

Deno.test("mulberry32 matches the reference algorithm", () => {
  for (const seed of [0, 1, 42, 123456789, 0x7FFFFFFF, 0xFFFFFFFF]) {
    const ours = mulberry32(seed);
    const reference = referenceMulberry32(seed);
    for (let i = 0; i < 1000; i++) assert.equal(ours(), reference(), `seed=${seed} draw=${i}`);
  }
});

Deno.test("mulberry32 reduces its seed modulo 2^32", () => {
  const a = mulberry32(-1);
  const b = mulberry32(0xFFFFFFFF);
  const c = mulberry32(2 ** 32 + 5);
  const d = mulberry32(5);
  for (let i = 0; i < 20; i++) {
    assert.equal(a(), b());
    assert.equal(c(), d());
  }
});

Deno.test("mulberry32 output is roughly uniform", () => {
  const random = mulberry32(31337);
  const buckets = new Array(10).fill(0);
  const draws = 100_000;
  for (let i = 0; i < draws; i++) buckets[Math.floor(random() * 10)]++;
  for (const count of buckets) assert.ok(Math.abs(count - draws / 10) < draws / 100, `bucket ${count}`);
});
