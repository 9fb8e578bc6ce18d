import assert from "node:assert/strict";
import { UsageError } from "../errors/usage_error.ts";
import { archiveFormat, checkImageArchive } from "./check_image_archive.ts";
import { runProgram } from "./run_program.ts";

Deno.test("archiveFormat() knows a tar header and the compressed streams docker load reads", () => {
  const tar = new Uint8Array(512);
  tar.set(new TextEncoder().encode("ustar"), 257);
  assert.equal(archiveFormat(tar), "tar");
  assert.equal(archiveFormat(Uint8Array.of(0x1f, 0x8b, 8)), "gzip");
  assert.equal(archiveFormat(Uint8Array.of(0x42, 0x5a, 0x68, 0x39)), "bzip2");
  assert.equal(archiveFormat(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)), "xz");
  assert.equal(archiveFormat(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd)), "zstd");
  assert.equal(archiveFormat(new TextEncoder().encode("model: org/m\n")), null);
  assert.equal(archiveFormat(new Uint8Array(0)), null);
});

Deno.test("checkImageArchive() takes a real tar and its gzip, and refuses other files as bad input", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/manifest.json`, "[]");
    // Real archives, as tar and gzip write them.
    const tar = await runProgram(["tar", "-cf", `${dir}/x.tar`, "-C", dir, "manifest.json"]);
    assert.equal(tar.code, 0, tar.stderr);
    checkImageArchive(`${dir}/x.tar`);
    const gzip = await runProgram(["gzip", "-k", `${dir}/x.tar`]);
    assert.equal(gzip.code, 0, gzip.stderr);
    checkImageArchive(`${dir}/x.tar.gz`);
    const refused = (path: string, message: RegExp) =>
      assert.throws(() => checkImageArchive(path), (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, message);
        return true;
      });
    refused(`${dir}/manifest.json`, /is not an image archive/);
    refused(`${dir}/missing.tar`, /does not exist/);
    refused(dir, /is not a file/);
    refused(`${dir}/manifest.json/x.tar`, /cannot read .*manifest\.json\/x\.tar/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
