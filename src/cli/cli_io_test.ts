import assert from "node:assert/strict";
import { terminalText } from "./cli_io.ts";

Deno.test("terminalText() shows control characters in text as escapes, not as terminal commands", () => {
  // A study named "evil\e]0;PWNED\a" set the terminal's title; other sequences can do worse.
  assert.equal(
    terminalText("study evil\x1b]0;PWNED\x07 (s.yaml)\n"),
    "study evil\\u001b]0;PWNED\\u0007 (s.yaml)\n",
  );
  assert.equal(
    terminalText("a\x1b[31mred\x1b[0m\x00\x08\x7f\x9b"),
    "a\\u001b[31mred\\u001b[0m\\u0000\\u0008\\u007f\\u009b",
  );
  // Bidirectional overrides reorder what is shown ("Trojan source").
  assert.equal(terminalText("model \u202egpt2\u2066"), "model \\u202egpt2\\u2066");
});

Deno.test("terminalText() keeps newlines and tabs, and shows a carriage return as a line break", () => {
  assert.equal(terminalText("a\tb\nc\r\nd\re"), "a\tb\nc\nd\ne");
});

Deno.test("terminalText() keeps the redraw sequences llem's live displays begin a write with", () => {
  assert.equal(terminalText("\r\x1b[2K[3/8] run 3"), "\r\x1b[2K[3/8] run 3");
  assert.equal(terminalText("\x1b[12A\x1b[Jgpu 0  120 W\n"), "\x1b[12A\x1b[Jgpu 0  120 W\n");
  assert.equal(terminalText("\r\x1b[2K"), "\r\x1b[2K");
  // Only at the start of a write, and only those: text after them is text.
  assert.equal(
    terminalText("\r\x1b[2Kstudy \x1b[2K\x1b]0;x\x07"),
    "\r\x1b[2Kstudy \\u001b[2K\\u001b]0;x\\u0007",
  );
  assert.equal(terminalText("\x1b]0;title\x07x"), "\\u001b]0;title\\u0007x");
});
