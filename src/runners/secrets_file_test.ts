import assert from "node:assert/strict";
import { collectSecrets, writeSecretsFile } from "./secrets_file.ts";

Deno.test("collectSecrets() takes only the known secret names that are set", () => {
  assert.deepEqual(collectSecrets({ HF_TOKEN: "hf_x", PATH: "/bin", HUGGING_FACE_HUB_TOKEN: "" }), {
    HF_TOKEN: "hf_x",
  });
});

Deno.test("writeSecretsFile() writes a 0600 file in a 0700 folder and removes both", () => {
  const file = writeSecretsFile({ HF_TOKEN: "hf_abc" });
  try {
    assert.equal(Deno.readTextFileSync(file.path), "HF_TOKEN=hf_abc\n");
    assert.equal(Deno.statSync(file.path).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(file.path.replace(/\/secrets\.env$/, "")).mode! & 0o777, 0o700);
  } finally {
    file.remove();
  }
  assert.throws(() => Deno.statSync(file.path), Deno.errors.NotFound);
});

Deno.test("writeSecretsFile() refuses a value that would break the line format", () => {
  assert.throws(() => writeSecretsFile({ HF_TOKEN: "a\nEVIL=1" }), /line break/);
});
