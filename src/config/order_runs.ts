import type { Order } from "./execution_config.ts";

/** One run in execution order: which unique experiment (0-based) in which cycle (0-based). */
export interface RunSlot {
  experiment: number;
  cycle: number;
}

/** The runs of `count` experiments over `cycles` cycles, in the given order. */
export function orderRuns(count: number, options: { order: Order; cycles: number; seed: number }): RunSlot[] {
  const { order, cycles } = options;
  const runs: RunSlot[] = [];
  const forward = Array.from({ length: count }, (_, i) => i);
  if (order === "sequential") {
    for (const experiment of forward) {
      for (let cycle = 0; cycle < cycles; cycle++) runs.push({ experiment, cycle });
    }
    return runs;
  }
  const random = mulberry32(options.seed);
  const square = order === "latin_square" ? williamsSquare(count) : [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    let sequence = forward;
    if (order === "reverse" && cycle % 2 === 1) sequence = [...forward].reverse();
    else if (order === "shuffle") sequence = shuffle(forward, random);
    else if (order === "latin_square") sequence = square[cycle % square.length]!;
    for (const experiment of sequence) runs.push({ experiment, cycle });
  }
  return runs;
}

/**
 * A Williams design: rows are orders of `k` treatments in which every treatment follows every other
 * equally often (first-order carry-over balance). Row i starts at i and alternates i+1, i-1, i+2, ...;
 * for odd k the mirrored rows are appended (2k rows), since k rows cannot balance.
 */
export function williamsSquare(k: number): number[][] {
  if (k === 0) return [[]];
  const rows: number[][] = [];
  for (let i = 0; i < k; i++) {
    const row = [i];
    for (let j = 1; j < k; j++) {
      const step = j % 2 === 1 ? (j + 1) / 2 : -(j / 2);
      row.push((((i + step) % k) + k) % k);
    }
    rows.push(row);
  }
  if (k % 2 === 1 && k > 1) { for (let i = 0; i < k; i++) rows.push([...rows[i]!].reverse()); }
  return rows;
}

/** The default shuffle seed: the low 32 bits of the study design hash. */
export function seedFromDesignHash(designHash: string): number {
  return Number(BigInt(`0x${designHash}`) & 0xFFFFFFFFn);
}

/** Mulberry32: a small, well-mixed 32-bit PRNG, identical on every platform. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with the given random source: the same order for the same seed on every machine. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
