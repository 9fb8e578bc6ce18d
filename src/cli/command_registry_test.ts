import assert from "node:assert/strict";
import { COMMANDS } from "./command_registry.ts";

/** Whether the module graph of `file` (static and statically known dynamic imports) holds DuckDB's API. */
async function importsDuckdb(file: string): Promise<boolean> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", file] }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: { specifier: string }[] };
  return graph.modules.some((module) => /\/@duckdb\/node-api\//.test(module.specifier));
}

Deno.test("a command is marked usesDuckdb exactly when its module imports DuckDB", async () => {
  const found = await Promise.all(COMMANDS.map(async (entry) => {
    const file = new URL(`./${entry.name}_command.ts`, import.meta.url).pathname;
    return [entry.name, await importsDuckdb(file), entry.usesDuckdb === true] as const;
  }));
  for (const [name, imports, marked] of found) {
    assert.equal(marked, imports, `${name}: imports DuckDB ${imports}, marked usesDuckdb ${marked}`);
  }
  assert.ok(found.some(([, imports]) => imports), "at least one command imports DuckDB (the check sees it)");
});
