/**
 * llem's codecarbon-csv columns against CodeCarbon's own source: the fields of its EmissionsData, read
 * from its pinned wheel (scripts/parity/codecarbon_wheel.sh, which .ci/run runs) without importing it.
 */
import assert from "node:assert/strict";
import { parityTool } from "./parity_tool.ts";
import { CODECARBON_FIELDS } from "../src/cli/render_export.ts";

const repo = new URL("../", import.meta.url).pathname;

const wheel = parityTool("codecarbon_wheel.sh");

Deno.test({
  name: `${wheel ? "" : "SKIPPED (no CodeCarbon wheel: bash scripts/parity/codecarbon_wheel.sh): "}` +
    "llem's codecarbon-csv has CodeCarbon's EmissionsData columns, in its order",
  ignore: wheel === null,
  fn() {
    const read = new Deno.Command("python3", {
      args: [`${repo}scripts/parity/codecarbon_fields.py`, wheel!],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    assert.ok(read.success, new TextDecoder().decode(read.stderr));
    assert.deepEqual([...CODECARBON_FIELDS], JSON.parse(new TextDecoder().decode(read.stdout)));
  },
});
