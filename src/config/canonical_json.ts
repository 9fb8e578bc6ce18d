/**
 * Canonical JSON: keys sorted by UTF-16 code units at every depth (as Python's `sort_keys`), no
 * whitespace, `undefined` members dropped. Numbers use JavaScript's shortest round-trip form, so an
 * integral float (`1.0`) is written as `1` on every machine.
 */
export function canonicalJson(value: unknown): string {
  const state = { indexLikeKey: false };
  const copy = sortedCopy(value, state);
  // JavaScript lists integer-like keys ("9", "10") first in numeric order whatever the insertion order,
  // so objects holding them are written by hand, more slowly.
  return state.indexLikeKey ? written(value) : JSON.stringify(copy);
}

// Configs share a handful of shapes; sorting each shape's keys once makes big sweeps ~2x faster.
const sortedKeysByShape = new Map<string, string[]>();
const INDEX_LIKE = /^(0|[1-9][0-9]{0,9})$/;

function sortedCopy(value: unknown, state: { indexLikeKey: boolean }): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`canonical JSON cannot hold ${value}`);
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => sortedCopy(item ?? null, state));
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of sortedKeys(record, Object.keys(record))) {
    if (!state.indexLikeKey && INDEX_LIKE.test(key)) state.indexLikeKey = true;
    copy[key] = sortedCopy(record[key], state);
  }
  return copy;
}

function sortedKeys(record: Record<string, unknown>, keys: string[]): string[] {
  const shape = keys.join("\u0000");
  const cached = sortedKeysByShape.get(shape);
  // Keys may themselves hold NUL, so a cached order is used only if it is exactly this object's keys.
  if (cached && cached.length === keys.length && cached.every((key) => Object.hasOwn(record, key))) {
    return cached;
  }
  const sorted = [...keys].sort();
  if (sortedKeysByShape.size < 10_000) sortedKeysByShape.set(shape, sorted);
  return sorted;
}

function written(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value === 0 ? 0 : value);
  if (Array.isArray(value)) return `[${value.map((item) => written(item ?? null)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record).sort().filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${written(record[key])}`);
  return `{${members.join(",")}}`;
}
