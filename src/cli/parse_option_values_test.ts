import assert from "node:assert/strict";
import { usageErrorOf } from "../../tests/usage_error_of.ts";
import { parseExecutionOption } from "./parse_option_values.ts";

const cycles = (text: string) => parseExecutionOption(text, { flag: "--cycles", key: "n_cycles" });

Deno.test("parseExecutionOption() takes --cycles as execution.n_cycles takes it", () => {
  assert.equal(cycles("3"), 3);
  assert.equal(cycles("1000"), 1000);
});

Deno.test("parseExecutionOption() holds --cycles to execution.n_cycles's bounds", () => {
  // --cycles 1e9 built a billion runs (3.9 GB before it died); 1001 passed where the file allows 1,000.
  const hint = "hint: --cycles sets execution.n_cycles: repetitions of every experiment, for means and " +
    "confidence intervals";
  for (const [text, expected] of [["1001", "<= 1000"], ["1000000000", "<= 1000"], ["0", ">= 1"]]) {
    assert.equal(
      usageErrorOf(() => cycles(text!)),
      `--cycles (execution.n_cycles): expected an integer ${expected}, found ${text}\n${hint}`,
    );
  }
});

Deno.test("parseExecutionOption() takes a whole number in decimal digits only", () => {
  for (const text of ["0x10", "1e9", "3.0", " 5", "5 ", "+5", "-1", "", "three", "Infinity"]) {
    assert.equal(
      usageErrorOf(() => cycles(text)),
      `--cycles (execution.n_cycles): expected a whole number in decimal digits, found ${
        JSON.stringify(text)
      }\n` +
        "hint: --cycles sets execution.n_cycles: repetitions of every experiment, for means and confidence intervals",
    );
  }
});

Deno.test("parseExecutionOption() takes --order as execution.order takes it", () => {
  assert.equal(parseExecutionOption("shuffle", { flag: "--order", key: "order" }), "shuffle");
  assert.equal(
    usageErrorOf(() => parseExecutionOption("interleaved", { flag: "--order", key: "order" })),
    '--order (execution.order): expected one of "sequential", "interleave", "shuffle", "reverse", ' +
      '"latin_square", found "interleaved"\nhint: did you mean "interleave"?',
  );
});
