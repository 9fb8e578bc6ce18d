import assert from "node:assert/strict";
import { shellQuote } from "./shell_quote.ts";

Deno.test("shellQuote() leaves a plain path alone and quotes anything a shell would interpret", () => {
  assert.equal(shellQuote("/r/study_2026-11-22T10-00-00"), "/r/study_2026-11-22T10-00-00");
  assert.equal(shellQuote("my study.yaml"), "'my study.yaml'");
  assert.equal(shellQuote("it's.yaml"), `'it'\\''s.yaml'`);
  assert.equal(shellQuote("$HOME/*.yaml"), "'$HOME/*.yaml'");
  assert.equal(shellQuote(""), "''");
});

Deno.test("shellQuote() gives back the word through a real shell", async () => {
  const words = ["a b", "it's", `"q"`, "$x `y` \\z", "tab\there", "new\nline", "-n"];
  const script = `printf '%s\\0' ${words.map(shellQuote).join(" ")}`;
  const output = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
  assert.deepEqual(new TextDecoder().decode(output.stdout).split("\0").slice(0, -1), words);
});
