import assert from "node:assert/strict";
import { usageErrorOf } from "../../tests/usage_error_of.ts";
import { UsageError } from "../errors/usage_error.ts";
import { MAX_SHARD_COUNT, parseShard } from "./parse_shard.ts";

Deno.test("parseShard() takes a 0-based index and a count, as SLURM_ARRAY_TASK_ID under --array=0-(N-1)", () => {
  assert.deepEqual(parseShard("0/1"), { index: 0, count: 1 });
  assert.deepEqual(parseShard("0/4"), { index: 0, count: 4 });
  assert.deepEqual(parseShard("3/4"), { index: 3, count: 4 });
  assert.deepEqual(parseShard("9999/10000"), { index: 9999, count: MAX_SHARD_COUNT });
});

Deno.test("parseShard() reads leading zeros as decimal, not octal", () => {
  assert.deepEqual(parseShard("007/010"), { index: 7, count: 10 });
});

Deno.test("parseShard() takes INDEX/COUNT in decimal digits only", () => {
  const malformed = [
    "",
    "2",
    "/2",
    "1/",
    "/",
    "a/b",
    "1/b",
    "1.5/2",
    "1/2.0",
    "-1/2",
    "1/-2",
    "+1/2",
    " 1/2",
    "1/2 ",
    "1 /2",
    "1/2/3",
    "1\\2",
    "1:2",
    "0x1/2",
    "1e0/2",
    "Infinity/2",
    "1/2\n",
    "１/２",
  ];
  for (const text of malformed) {
    assert.equal(
      usageErrorOf(() => parseShard(text)),
      `--shard ${JSON.stringify(text)}: expected INDEX/COUNT in decimal digits, e.g. 0/4\n` +
        'hint: for 4 shards, run sbatch --array=0-3 and pass --shard "$SLURM_ARRAY_TASK_ID/4"',
      JSON.stringify(text),
    );
  }
});

Deno.test("parseShard() holds the count to 1 to 10000", () => {
  for (const text of ["0/0", "1/0", "0/10001", "0/99999999999999999999999", `0/${"9".repeat(400)}`]) {
    assert.equal(
      usageErrorOf(() => parseShard(text)),
      `--shard ${JSON.stringify(text)}: the count must be 1 to 10000\n` +
        'hint: for 4 shards, run sbatch --array=0-3 and pass --shard "$SLURM_ARRAY_TASK_ID/4"',
      text,
    );
  }
});

Deno.test("parseShard() holds the index below the count and names the range and the Slurm array", () => {
  assert.equal(
    usageErrorOf(() => parseShard("3/3")),
    '--shard "3/3": the index must be 0 to 2 (0-based, as SLURM_ARRAY_TASK_ID)\n' +
      'hint: for 3 shards, run sbatch --array=0-2 and pass --shard "$SLURM_ARRAY_TASK_ID/3"',
  );
  assert.equal(
    usageErrorOf(() => parseShard("1/1")),
    '--shard "1/1": the index must be 0 (0-based, as SLURM_ARRAY_TASK_ID)\n' +
      'hint: for 1 shard, run sbatch --array=0-0 and pass --shard "$SLURM_ARRAY_TASK_ID/1"',
  );
  assert.match(usageErrorOf(() => parseShard("99999999999999999999/4")), /the index must be 0 to 3 /);
});

Deno.test("parseShard() reports a bad count before the index that depends on it", () => {
  assert.match(usageErrorOf(() => parseShard("5/0")), /the count must be 1 to 10000/);
  assert.match(usageErrorOf(() => parseShard("20000/10001")), /the count must be 1 to 10000/);
});

Deno.test("parseShard()'s error is bad input: exit 2, not a bug", () => {
  assert.throws(
    () => parseShard("1/0"),
    (error: unknown) => error instanceof UsageError && error.kind === "bad_input",
  );
});
