import { isPlainObject, type PlainObject } from "./plain_object.ts";

/** Leaf values of a mapping keyed by dotted path (lists count as leaves). */
export function flattenData(value: PlainObject, prefix = ""): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const key of Object.keys(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const child = value[key];
    if (isPlainObject(child) && Object.keys(child).length > 0) {
      for (const [p, v] of flattenData(child, path)) leaves.set(p, v);
    } else leaves.set(path, child);
  }
  return leaves;
}
