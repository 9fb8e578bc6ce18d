import type { z } from "zod";

// Zod 4 keeps a schema's structure in `_zod.def`; these are the parts llem reads.
interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  items?: z.ZodType[];
  options?: z.ZodType[];
  valueType?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  values?: unknown[];
  format?: string;
}

const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "catch"]);

/** The definition of a zod schema. */
export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema below default/optional/nullable wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (WRAPPERS.has(defOf(current).type) && defOf(current).innerType) current = defOf(current).innerType!;
  return current;
}

/** The keys of an object schema (after unwrapping), or undefined when it is not an object. */
export function objectKeys(schema: z.ZodType): string[] | undefined {
  const def = defOf(unwrapSchema(schema));
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

/** The sub-schema at a key path, or undefined when the path leaves the schema. */
export function schemaAtPath(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(unwrapSchema(current));
    if (def.type === "object") current = def.shape?.[String(segment)];
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "array" && typeof segment === "number") current = def.element;
    else if (def.type === "tuple" && typeof segment === "number") current = def.items?.[segment];
    else return undefined;
  }
  return current;
}

/** Whether values at this schema are lists (so a list there is one value, not a set of alternatives). */
export function expectsList(schema: z.ZodType): boolean {
  const type = defOf(unwrapSchema(schema)).type;
  return type === "array" || type === "tuple";
}

/** Whether this schema accepts free-form content (a passthrough record), so paths below it are not checked. */
export function isOpenRecord(schema: z.ZodType): boolean {
  return defOf(unwrapSchema(schema)).type === "record";
}
