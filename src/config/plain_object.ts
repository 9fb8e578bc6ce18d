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
