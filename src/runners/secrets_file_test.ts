import assert from "node:assert/strict";
import { tmpDirOf } from "./llem_runtime_dir.ts";
import { collectSecrets, writeSecretsFile } from "./secrets_file.ts";

Deno.test("collectSecrets() takes only the known secret names that are set", () => {
  assert.deepEqual(collectSecrets({ HF_TOKEN: "hf_x", PATH: "/bin", HUGGING_FACE_HUB_TOKEN: "" }), {
    HF_TOKEN: "hf_x",
  });
});

/** Where the tests' llem keeps its private folder, as llem resolves it. */
const TMP = tmpDirOf(Deno.env.toObject());

Deno.test("writeSecretsFile() writes a 0600 file in a 0700 folder and removes both", () => {
  const file = writeSecretsFile({ HF_TOKEN: "hf_abc" }, { tmpDir: TMP });
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
  assert.throws(() => writeSecretsFile({ HF_TOKEN: "a\nEVIL=1" }, { tmpDir: TMP }), /line break/);
});

const asRoot = Deno.uid() === 0;
Deno.test({
  name: `${asRoot ? "" : "SKIPPED (needs root, to start a process as uid 65534): "}` +
    "writeSecretsFile() for an engine that runs as nobody leaves the file out of nobody's reach on the host",
  ignore: !asRoot,
  fn: async () => {
    // llem as root runs container engines as nobody (65534), so the file is nobody's to read through its
    // mount; a host process of uid 65534 must still not reach it.
    const file = writeSecretsFile({ HF_TOKEN: "hf_notForNobodyOnTheHost" }, {
      tmpDir: TMP,
      owner: { uid: 65534, gid: 65534 },
    });
    try {
      assert.equal(
        Deno.statSync(file.path).uid,
        65534,
        "the engine's uid owns the file it reads in a container",
      );
      const read = await new Deno.Command("cat", {
        args: [file.path],
        uid: 65534,
        gid: 65534,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.notEqual(read.code, 0, "a host process of uid 65534 read the secret");
      assert.equal(new TextDecoder().decode(read.stdout), "");
    } finally {
      file.remove();
    }
  },
});
