import { UsageError } from "../errors/usage_error.ts";

/** One part of a study split over several llem processes: part `index` (0-based) of `count`. */
export interface Shard {
  /** 0-based, as Slurm's SLURM_ARRAY_TASK_ID under `--array=0-(count-1)`. */
  index: number;
  /** How many parts the study is split into, 1 to MAX_SHARD_COUNT. */
  count: number;
}

/**
 * Most parts a study may be split into. Slurm's default MaxArraySize is 1001; ten times that leaves room
 * for a site that raised it, and still catches a count typed with a digit too many.
 */
export const MAX_SHARD_COUNT = 10_000;

/** How to pass Slurm's task index for `count` shards. */
function slurmHint(count: number): string {
  const shards = count === 1 ? "1 shard" : `${count} shards`;
  return `for ${shards}, run sbatch --array=0-${count - 1} and pass --shard "$SLURM_ARRAY_TASK_ID/${count}"`;
}

/** `--shard i/N` (0 ≤ i < N ≤ MAX_SHARD_COUNT, decimal digits) as a Shard; anything else is a usage error. */
export function parseShard(text: string): Shard {
  // Number() would also take " 1", "1.0", "0x1" and "1e3": none is how a task index is written.
  const match = /^([0-9]+)\/([0-9]+)$/.exec(text);
  if (!match) {
    throw new UsageError(
      `--shard ${JSON.stringify(text)}: expected INDEX/COUNT in decimal digits, e.g. 0/4`,
      slurmHint(4),
    );
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARD_COUNT) {
    throw new UsageError(
      `--shard ${JSON.stringify(text)}: the count must be 1 to ${MAX_SHARD_COUNT}`,
      slurmHint(4),
    );
  }
  if (index >= count) {
    throw new UsageError(
      `--shard ${JSON.stringify(text)}: the index must be ${count === 1 ? "0" : `0 to ${count - 1}`} ` +
        "(0-based, as SLURM_ARRAY_TASK_ID)",
      slurmHint(count),
    );
  }
  return { index, count };
}
