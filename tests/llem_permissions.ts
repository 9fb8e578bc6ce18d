/** The permissions llem runs with (the `llem` task in deno.json, and the compiled binary): llem's own list. */
export { LLEM_RUN_PERMISSIONS as LLEM_PERMISSIONS } from "../src/runners/llem_invocation.ts";
