/**
 * docs/configuration.md's generated part is what scripts/config_reference.ts generates from the schemas now.
 * LLEM_UPDATE_GOLDEN=1 rewrites that part (the prose around it is kept); then review the diff.
 */
import assert from "node:assert/strict";
import { ENGINE_IDS } from "../src/engines/engine_id.ts";
import {
  BEGIN_MARKER,
  configurationReference,
  END_MARKER,
  generatedPart,
  spliceGenerated,
} from "../scripts/config_reference.ts";
import { experimentSchema } from "../src/config/experiment_config.ts";
import { executionSchema } from "../src/config/execution_config.ts";
import { STUDY_KEYS } from "../src/config/study_config.ts";

const page = new URL("../docs/configuration.md", import.meta.url).pathname;
const update = Deno.env.get("LLEM_UPDATE_GOLDEN") === "1";

Deno.test("docs/configuration.md: the generated part matches the schemas", () => {
  const document = Deno.readTextFileSync(page);
  const generated = configurationReference();
  if (update) Deno.writeTextFileSync(page, spliceGenerated(document, generated));
  assert.equal(
    generatedPart(update ? Deno.readTextFileSync(page) : document),
    generated,
    "docs/configuration.md is stale: run LLEM_UPDATE_GOLDEN=1 deno test -A tests/config_reference_test.ts",
  );
});

/** A zod schema without its optional, default and prefault wrappers. */
function unwrap(schema: unknown): unknown {
  let inner = schema as { def?: { innerType?: unknown } };
  while (inner.def?.innerType) inner = inner.def.innerType as typeof inner;
  return inner;
}

/** The dotted keys of a zod object's values, recursing into nested objects. */
function leafKeys(shape: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(shape).flatMap(([key, value]) => {
    const nested = (unwrap(value) as { shape?: Record<string, unknown> }).shape;
    return nested ? leafKeys(nested, `${prefix}${key}.`) : [`${prefix}${key}`];
  });
}

Deno.test("config reference: every key of the experiment, study and execution schemas has a row", () => {
  const text = configurationReference();
  const keys = [
    ...leafKeys(experimentSchema.shape),
    ...STUDY_KEYS.filter((key) => key !== "execution"),
    ...leafKeys({ execution: executionSchema }),
  ];
  assert.ok(keys.length > 80, `only ${keys.length} keys found`);
  for (const key of keys) assert.ok(text.includes(`| \`${key}\` `), `no row for ${key}`);
});

Deno.test("spliceGenerated() replaces only the text between the markers, and generatedPart() reads it back", () => {
  const document = `# title\n\nprose\n\n${BEGIN_MARKER}\n\nold\n\n${END_MARKER}\n\nmore prose\n`;
  const spliced = spliceGenerated(document, "## new\n");
  assert.equal(spliced, `# title\n\nprose\n\n${BEGIN_MARKER}\n\n## new\n\n${END_MARKER}\n\nmore prose\n`);
  assert.equal(generatedPart(spliced), "## new\n");
  assert.throws(() => generatedPart("no markers"), /markers/);
});

Deno.test("docs/configuration.md names every cross-field rule, shared and each engine's", () => {
  const files = [
    "src/config/cross_field_rules.ts",
    "src/engines/engine_rule.ts",
    ...ENGINE_IDS.map((id) => `src/engines/${id}.ts`),
  ];
  const rules = files.map((file) => Deno.readTextFileSync(new URL(`../${file}`, import.meta.url))).join("\n");
  const ids = [...rules.matchAll(/violation\(\s*[`"]([^`"]+)[`"]/g)].map((match) => match[1]!);
  assert.ok(ids.length >= 20, `only ${ids.length} rules found`);
  const document = Deno.readTextFileSync(page);
  for (const id of ids) {
    const shown = id.replace("${engine}", "<engine>");
    assert.ok(document.includes(`| \`${shown}\` `), `docs/configuration.md lacks rule ${shown}`);
  }
});
