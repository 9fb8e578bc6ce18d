import assert from "node:assert/strict";
import { z } from "zod";
import { experimentResultSchema } from "./result_schema.ts";

type JsonSchema = {
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
};

const jsonSchema = z.toJSONSchema(experimentResultSchema, { io: "output" }) as JsonSchema;

/** Paths of object properties that carry no description, on themselves or on a branch of their anyOf. */
function undescribed(schema: JsonSchema, path: string): string[] {
  const missing: string[] = [];
  const children = [
    ...(schema.anyOf ?? []),
    ...(schema.prefixItems ?? []),
    ...(schema.items ? [schema.items] : []),
    ...(typeof schema.additionalProperties === "object" ? [schema.additionalProperties] : []),
  ];
  for (const child of children) missing.push(...undescribed(child, path));
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const described = property.description !== undefined ||
      (property.anyOf ?? []).some((branch) => branch.description !== undefined);
    if (!described) missing.push(`${path}.${name}`);
    missing.push(...undescribed(property, `${path}.${name}`));
  }
  return missing;
}

Deno.test("experimentResultSchema describes every field, nested ones included", () => {
  assert.deepEqual(undescribed(jsonSchema, "result"), []);
});

Deno.test("experimentResultSchema requires schema 4.0's fields and keeps llem's additions optional", () => {
  assert.equal(jsonSchema.required!.length, 36);
  for (
    const addition of ["input_tokens", "output_tokens", "energy_method", "baseline_method", "environment"]
  ) {
    assert.ok(addition in jsonSchema.properties!, addition);
    assert.ok(!jsonSchema.required!.includes(addition), addition);
  }
  assert.equal(jsonSchema.additionalProperties, false);
});

Deno.test("experimentResultSchema refuses a null where the seed has none", () => {
  const parsed = experimentResultSchema.safeParse({ total_energy_j: null });
  assert.equal(parsed.success, false);
  const paths = parsed.error!.issues.map((issue) => issue.path.join("."));
  for (const field of ["total_energy_j", "total_tokens", "schema_version", "reproducibility_notes"]) {
    assert.ok(paths.includes(field), field);
  }
});
