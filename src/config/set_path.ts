import { cloneData, isPlainObject, type PlainObject } from "./plain_object.ts";

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

/** A copy of `target` with `value` at a key path; only the mappings along the path are copied. */
export function withPath(target: PlainObject, path: readonly string[], value: unknown): PlainObject {
  const [head, ...rest] = path;
  const copy = { ...target };
  if (rest.length === 0) copy[head!] = value;
  else copy[head!] = withPath(isPlainObject(target[head!]) ? target[head!] as PlainObject : {}, rest, value);
  return copy;
}
