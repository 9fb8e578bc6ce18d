import assert from "node:assert/strict";
import { runProgram } from "./run_program.ts";

/** Run `body` with these variables set in llem's own environment, then remove them. */
async function withLlemEnv(variables: Record<string, string>, body: () => Promise<void>): Promise<void> {
  for (const [name, value] of Object.entries(variables)) Deno.env.set(name, value);
  try {
    await body();
  } finally {
    for (const name of Object.keys(variables)) Deno.env.delete(name);
  }
}

Deno.test("a program llem starts never has llem's secrets in its environment, and has the rest", async () => {
  // llem's own environment holds HF_TOKEN when the user exported it; a runtime client (docker, podman) or an
  // engine started directly gets it by file only, where it can be used.
  const variables = {
    HF_TOKEN: "hf_onlyInTheParent0123",
    HUGGING_FACE_HUB_TOKEN: "hf_onlyInTheParent4567",
    LLEM_TEST_INHERITED: "inherited",
  };
  await withLlemEnv(variables, async () => {
    const result = await runProgram(
      [
        "sh",
        "-c",
        'echo "${HF_TOKEN-absent} ${HUGGING_FACE_HUB_TOKEN-absent} $LLEM_TEST_INHERITED $LLEM_TEST_GIVEN"',
      ],
      { env: { LLEM_TEST_GIVEN: "given" } },
    );
    assert.equal(result.stdout.trim(), "absent absent inherited given");
  });
});

Deno.test("a program started with inherit gets only those of llem's variables, never its secrets", async () => {
  const variables = {
    HF_TOKEN: "hf_onlyInTheParent0123",
    LLEM_TEST_KEPT: "kept",
    LLEM_TEST_DROPPED: "dropped",
  };
  await withLlemEnv(variables, async () => {
    const result = await runProgram(
      [
        "/bin/sh",
        "-c",
        'echo "${HF_TOKEN-absent} ${LLEM_TEST_KEPT-absent} ${LLEM_TEST_DROPPED-absent} $GIVEN"',
      ],
      { env: { GIVEN: "given" }, inherit: ["LLEM_TEST_KEPT", "HF_TOKEN", "LLEM_TEST_NOT_SET"] },
    );
    assert.equal(result.stdout.trim(), "absent kept absent given");
  });
});
