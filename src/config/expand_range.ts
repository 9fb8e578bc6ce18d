import type { PlainObject } from "./plain_object.ts";

/** Most values one range shorthand may produce. */
export const MAX_RANGE_VALUES = 10_000;

/** Whether a mapping is one of the range shorthands `{min, max, num}`, `{log: {...}}`, `{pow2: {...}}`. */
export function isRangeShorthand(value: PlainObject): boolean {
  const keys = Object.keys(value).sort().join(",");
  return keys === "max,min,num" || keys === "log" || keys === "pow2";
}

/**
 * The values of a range shorthand, or a message saying why it is invalid. Values are rounded to 12
 * significant digits; for integer fields (`integers: true`) to the nearest integer, repeats dropped.
 */
export function expandRange(range: PlainObject, options: { integers?: boolean } = {}): number[] | string {
  if ("pow2" in range) {
    const { min, max } = (range.pow2 ?? {}) as PlainObject;
    if (!isInt(min) || !isInt(max) || min < 1 || max < min) {
      return "pow2 needs integers 1 <= min <= max, e.g. {pow2: {min: 1, max: 64}}";
    }
    const values: number[] = [];
    for (let p = 1; p <= max; p *= 2) if (p >= min) values.push(p);
    return values.length > 0 ? values : `no power of two lies between ${min} and ${max}`;
  }
  const log = "log" in range;
  const { min, max, num } = (log ? range.log ?? {} : range) as PlainObject;
  const shape = log ? "{log: {min, max, num}}" : "{min, max, num}";
  if (typeof min !== "number" || typeof max !== "number" || !isInt(num)) {
    return `${shape} needs numbers min and max and an integer num`;
  }
  if (num < 1 || num > MAX_RANGE_VALUES) return `num must be between 1 and ${MAX_RANGE_VALUES}, found ${num}`;
  if (max < min) return `min (${min}) must not exceed max (${max})`;
  if (log && min <= 0) return `log ranges need min > 0, found ${min}`;
  const values: number[] = [];
  for (let i = 0; i < num; i++) {
    const t = num === 1 ? 0 : i / (num - 1);
    const raw = log ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
    values.push(options.integers ? Math.round(raw) : Number(raw.toPrecision(12)));
  }
  return [...new Set(values)];
}

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}
