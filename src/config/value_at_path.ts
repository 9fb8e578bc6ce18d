import { isPlainObject } from "./plain_object.ts";

/** The value at a dotted key path, or undefined when any part is missing. */
export function valueAtPath(value: unknown, dotted: string): unknown {
  let current = value;
  for (const segment of dotted.split(".")) {
    if (!isPlainObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}
