import assert from "node:assert/strict";
import { runProgram } from "./run_program.ts";

Deno.test("a program llem starts never has llem's secrets in its environment, and has the rest", async () => {
  // llem's own environment holds HF_TOKEN when the user exported it; a runtime client (docker, podman) or an
  // engine started directly gets it by file only, where it can be used.
  Deno.env.set("HF_TOKEN", "hf_onlyInTheParent0123");
  Deno.env.set("HUGGING_FACE_HUB_TOKEN", "hf_onlyInTheParent4567");
  Deno.env.set("LLEM_TEST_INHERITED", "inherited");
  try {
    const result = await runProgram(
      [
        "sh",
        "-c",
        'echo "${HF_TOKEN-absent} ${HUGGING_FACE_HUB_TOKEN-absent} $LLEM_TEST_INHERITED $LLEM_TEST_GIVEN"',
      ],
      { env: { LLEM_TEST_GIVEN: "given" } },
    );
    assert.equal(result.stdout.trim(), "absent absent inherited given");
  } finally {
    for (const name of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "LLEM_TEST_INHERITED"]) Deno.env.delete(name);
  }
});
