import assert from "node:assert/strict";
import { expandRange, isRangeShorthand, MAX_RANGE_VALUES } from "./expand_range.ts";

/** The values of a range that must be valid. */
function values(range: Record<string, unknown>, options: { integers?: boolean } = {}): number[] {
  const result = expandRange(range, options);
  assert.ok(Array.isArray(result), `expected values, got error: ${result}`);
  return result;
}

/** The error message of a range that must be invalid. */
function error(range: Record<string, unknown>, options: { integers?: boolean } = {}): string {
  const result = expandRange(range, options);
  assert.equal(typeof result, "string", `expected an error message, got ${JSON.stringify(result)}`);
  return result as string;
}

// ---------------------------------------------------------------- linear

Deno.test("expandRange linear spacing includes both endpoints", () => {
  assert.deepEqual(values({ min: 0, max: 10, num: 5 }), [0, 2.5, 5, 7.5, 10]);
  assert.deepEqual(values({ min: 1, max: 2, num: 2 }), [1, 2]);
  assert.deepEqual(values({ min: -1, max: 1, num: 3 }), [-1, 0, 1]);
});

Deno.test("expandRange linear values are evenly spaced, sorted and exactly num long", () => {
  for (const [min, max, num] of [[0, 1, 7], [3, 97, 13], [-50, 50, 101], [0.5, 0.75, 6]]) {
    const result = values({ min, max, num });
    assert.equal(result.length, num);
    assert.equal(result[0], min);
    assert.equal(result[result.length - 1], max);
    const step = (max! - min!) / (num! - 1);
    result.forEach((value, i) => assert.ok(Math.abs(value - (min! + i * step)) < 1e-9, `${value} at ${i}`));
  }
});

Deno.test("expandRange rounds to 12 significant digits, removing float noise", () => {
  assert.deepEqual(values({ min: 0, max: 1, num: 11 }), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.deepEqual(values({ min: 0.1, max: 0.3, num: 3 }), [0.1, 0.2, 0.3]);
  assert.deepEqual(values({ min: 0, max: 1, num: 4 }), [0, 0.333333333333, 0.666666666667, 1]);
});

Deno.test("expandRange with num 1 yields just min", () => {
  assert.deepEqual(values({ min: 3, max: 9, num: 1 }), [3]);
  assert.deepEqual(values({ min: 5, max: 5, num: 1 }), [5]);
  assert.deepEqual(values({ log: { min: 10, max: 1000, num: 1 } }), [10]);
});

Deno.test("expandRange with min equal to max collapses repeats to one value", () => {
  assert.deepEqual(values({ min: 4, max: 4, num: 5 }), [4]);
});

Deno.test("expandRange integers option rounds to the nearest integer and drops repeats", () => {
  assert.deepEqual(values({ min: 1, max: 3, num: 5 }, { integers: true }), [1, 2, 3]);
  assert.deepEqual(values({ min: 1, max: 3, num: 5 }), [1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(values({ min: 0, max: 10, num: 4 }, { integers: true }), [0, 3, 7, 10]);
  assert.deepEqual(values({ min: 0, max: 2, num: 50 }, { integers: true }), [0, 1, 2]);
  for (const value of values({ min: 1, max: 1000, num: 37 }, { integers: true })) {
    assert.ok(Number.isInteger(value), String(value));
  }
});

Deno.test("expandRange keeps values in increasing order after dropping repeats", () => {
  const result = values({ min: 1, max: 20, num: 100 }, { integers: true });
  assert.deepEqual(result, Array.from({ length: 20 }, (_, i) => i + 1));
});

// ---------------------------------------------------------------- log

Deno.test("expandRange log spacing gives exact decades after rounding", () => {
  assert.deepEqual(values({ log: { min: 1, max: 1000, num: 4 } }), [1, 10, 100, 1000]);
  assert.deepEqual(values({ log: { min: 0.001, max: 1, num: 4 } }), [0.001, 0.01, 0.1, 1]);
  assert.deepEqual(values({ log: { min: 1, max: 1024, num: 11 } }), [
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
    256,
    512,
    1024,
  ]);
});

Deno.test("expandRange log spacing has a constant ratio between neighbours", () => {
  const result = values({ log: { min: 3, max: 300, num: 9 } });
  assert.equal(result.length, 9);
  assert.equal(result[0], 3);
  assert.equal(result[8], 300);
  const ratio = result[1]! / result[0]!;
  for (let i = 1; i < result.length; i++) {
    assert.ok(Math.abs(result[i]! / result[i - 1]! - ratio) < 1e-9);
  }
});

Deno.test("expandRange log with integers rounds and dedupes", () => {
  assert.deepEqual(values({ log: { min: 1, max: 1000, num: 4 } }, { integers: true }), [1, 10, 100, 1000]);
  assert.deepEqual(values({ log: { min: 1, max: 4, num: 7 } }, { integers: true }), [1, 2, 3, 4]);
});

Deno.test("expandRange log needs min > 0", () => {
  assert.equal(error({ log: { min: 0, max: 10, num: 3 } }), "log ranges need min > 0, found 0");
  assert.equal(error({ log: { min: -5, max: 10, num: 3 } }), "log ranges need min > 0, found -5");
  // The same bounds are fine for linear ranges.
  assert.deepEqual(values({ min: 0, max: 10, num: 3 }), [0, 5, 10]);
});

Deno.test("expandRange log reports a missing or malformed body", () => {
  const message = "{log: {min, max, num}} needs numbers min and max and an integer num";
  assert.equal(error({ log: {} }), message);
  assert.equal(error({ log: null }), message);
  assert.equal(error({ log: { min: 1, max: 10 } }), message);
  assert.equal(error({ log: { min: "1", max: 10, num: 3 } }), message);
});

// ---------------------------------------------------------------- pow2

Deno.test("expandRange pow2 lists the powers of two within [min, max]", () => {
  assert.deepEqual(values({ pow2: { min: 3, max: 40 } }), [4, 8, 16, 32]);
  assert.deepEqual(values({ pow2: { min: 1, max: 64 } }), [1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(values({ pow2: { min: 1, max: 1 } }), [1]);
  assert.deepEqual(values({ pow2: { min: 16, max: 16 } }), [16]);
  assert.deepEqual(values({ pow2: { min: 2, max: 3 } }), [2]);
});

Deno.test("expandRange pow2 with no power of two in range is an error", () => {
  assert.equal(error({ pow2: { min: 5, max: 7 } }), "no power of two lies between 5 and 7");
  assert.equal(error({ pow2: { min: 33, max: 63 } }), "no power of two lies between 33 and 63");
});

Deno.test("expandRange pow2 needs integers 1 <= min <= max", () => {
  const message = "pow2 needs integers 1 <= min <= max, e.g. {pow2: {min: 1, max: 64}}";
  assert.equal(error({ pow2: { min: 64, max: 1 } }), message);
  assert.equal(error({ pow2: { min: 0, max: 8 } }), message);
  assert.equal(error({ pow2: { min: -4, max: 8 } }), message);
  assert.equal(error({ pow2: { min: 1.5, max: 8 } }), message);
  assert.equal(error({ pow2: { min: 1, max: "8" } }), message);
  assert.equal(error({ pow2: {} }), message);
  assert.equal(error({ pow2: null }), message);
});

// ---------------------------------------------------------------- errors

Deno.test("expandRange returns an error string, not a throw, when max < min", () => {
  assert.equal(error({ min: 10, max: 1, num: 3 }), "min (10) must not exceed max (1)");
  assert.equal(error({ log: { min: 100, max: 10, num: 3 } }), "min (100) must not exceed max (10)");
});

Deno.test("expandRange returns an error string when num < 1 or too large", () => {
  assert.equal(error({ min: 0, max: 1, num: 0 }), `num must be between 1 and ${MAX_RANGE_VALUES}, found 0`);
  assert.equal(error({ min: 0, max: 1, num: -3 }), `num must be between 1 and ${MAX_RANGE_VALUES}, found -3`);
  assert.equal(
    error({ min: 0, max: 1, num: MAX_RANGE_VALUES + 1 }),
    `num must be between 1 and 10000, found ${MAX_RANGE_VALUES + 1}`,
  );
  assert.equal(values({ min: 0, max: 1, num: MAX_RANGE_VALUES }).length, MAX_RANGE_VALUES);
});

Deno.test("expandRange needs numeric bounds and an integer num", () => {
  const message = "{min, max, num} needs numbers min and max and an integer num";
  assert.equal(error({ min: "0", max: 1, num: 3 }), message);
  assert.equal(error({ min: 0, max: null, num: 3 }), message);
  assert.equal(error({ min: 0, max: 1, num: 2.5 }), message);
  assert.equal(error({ min: 0, max: 1, num: "3" }), message);
  assert.equal(error({ min: 0, max: 1 }), message);
});

Deno.test("expandRange never throws on malformed input", () => {
  for (const bad of [{}, { min: 1 }, { log: 5 }, { pow2: "x" }, { min: 1, max: 0, num: 0 }]) {
    assert.doesNotThrow(() => expandRange(bad as Record<string, unknown>));
    assert.equal(typeof expandRange(bad as Record<string, unknown>), "string");
  }
});

// ---------------------------------------------------------------- isRangeShorthand

Deno.test("isRangeShorthand recognises {min, max, num} in any key order", () => {
  assert.equal(isRangeShorthand({ min: 1, max: 2, num: 3 }), true);
  assert.equal(isRangeShorthand({ num: 3, max: 2, min: 1 }), true);
});

Deno.test("isRangeShorthand recognises {log: ...} and {pow2: ...}", () => {
  assert.equal(isRangeShorthand({ log: { min: 1, max: 10, num: 2 } }), true);
  assert.equal(isRangeShorthand({ pow2: { min: 1, max: 8 } }), true);
});

Deno.test("isRangeShorthand rejects other mappings", () => {
  assert.equal(isRangeShorthand({}), false);
  assert.equal(isRangeShorthand({ min: 1, max: 2 }), false);
  assert.equal(isRangeShorthand({ min: 1, num: 2 }), false);
  assert.equal(isRangeShorthand({ min: 1, max: 2, num: 3, step: 1 }), false);
  assert.equal(isRangeShorthand({ log: {}, pow2: {} }), false);
  assert.equal(isRangeShorthand({ log: {}, min: 1 }), false);
  assert.equal(isRangeShorthand({ Min: 1, Max: 2, Num: 3 }), false);
  assert.equal(isRangeShorthand({ temperature: 0.7 }), false);
  assert.equal(isRangeShorthand({ linear: { min: 1, max: 2, num: 3 } }), false);
});
