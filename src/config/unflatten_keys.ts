import type { z } from "zod";
import { deepMerge } from "./deep_merge.ts";
import { isPlainObject, type PlainObject } from "./plain_object.ts";
import { setPath } from "./set_path.ts";
import { isOpenRecord, schemaAtPath } from "./schema_at_path.ts";

/** Turn dotted keys (`generation.batch_size: 4`) into nesting, except inside free-form passthrough sections. */
export function unflattenKeys(value: PlainObject, schema: z.ZodType, path: string[] = []): PlainObject {
  const here = schemaAtPath(schema, path);
  if (here && isOpenRecord(here)) return value;
  let result: PlainObject = {};
  for (const key of Object.keys(value)) {
    const parts = key.split(".");
    const childPath = [...path, ...parts];
    const child = isPlainObject(value[key])
      ? unflattenKeys(value[key] as PlainObject, schema, childPath)
      : value[key];
    if (parts.length === 1 && !(isPlainObject(result[key]) && isPlainObject(child))) {
      result[key] = child;
    } else {
      const nested: PlainObject = {};
      setPath(nested, parts, child);
      result = deepMerge(result, nested);
    }
  }
  return result;
}
