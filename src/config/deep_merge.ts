import { cloneData, isPlainObject, type PlainObject } from "./plain_object.ts";

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
