/** A JSON-like mapping. */
export type PlainObject = Record<string, unknown>;

/** Whether a value is a plain mapping (not a list, not null). */
export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of JSON-like data. */
export function cloneData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneData) as T;
  if (isPlainObject(value)) {
    const copy: PlainObject = {};
    for (const key in value) copy[key] = cloneData(value[key]);
    return copy as T;
  }
  return value;
}

/** `base` overlaid with `over`: mappings merge key by key, anything else in `over` replaces. */
export function deepMerge(base: PlainObject, over: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const key in over) {
    const a = merged[key];
    const b = over[key];
    merged[key] = isPlainObject(a) && isPlainObject(b) ? deepMerge(a, b) : cloneData(b);
  }
  return merged;
}

/** Set `value` at a key path, creating (or replacing non-mapping) parents as needed; mutates `target`. */
export function setPath(target: PlainObject, path: readonly string[], value: unknown): void {
  let current = target;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (isPlainObject(next)) current = next;
    else {
      const created: PlainObject = {};
      current[segment] = created;
      current = created;
    }
  }
  current[path[path.length - 1]!] = cloneData(value);
}

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

/** The value at a dotted key path, or undefined when any part is missing. */
export function valueAtPath(value: unknown, dotted: string): unknown {
  let current = value;
  for (const segment of dotted.split(".")) {
    if (!isPlainObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** A copy of `target` with `value` at a key path; only the mappings along the path are copied. */
export function withPath(target: PlainObject, path: readonly string[], value: unknown): PlainObject {
  const [head, ...rest] = path;
  const copy = { ...target };
  if (rest.length === 0) copy[head!] = value;
  else copy[head!] = withPath(isPlainObject(target[head!]) ? target[head!] as PlainObject : {}, rest, value);
  return copy;
}
