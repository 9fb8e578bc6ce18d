import assert from "node:assert/strict";
import { imageLoadArgv, imageSaveArgv, sifBuildArgv, sifPathFor } from "./image_archive_argv.ts";

Deno.test("imageSaveArgv() saves one image in Docker's archive format, with either runtime", () => {
  const saved = { image: "vllm/vllm-openai:v0.33.0", file: "/media/usb/vllm.tar" };
  assert.deepEqual(imageSaveArgv("docker", saved), [
    "docker",
    "save",
    "--output",
    "/media/usb/vllm.tar",
    "vllm/vllm-openai:v0.33.0",
  ]);
  // Podman's default is the same format today; said outright, since apptainer's docker-archive: needs it.
  assert.deepEqual(imageSaveArgv("podman", saved), [
    "podman",
    "save",
    "--format",
    "docker-archive",
    "--output",
    "/media/usb/vllm.tar",
    "vllm/vllm-openai:v0.33.0",
  ]);
});

Deno.test("imageLoadArgv() loads an archive file into the runtime", () => {
  assert.deepEqual(imageLoadArgv("docker", "vllm.tar"), ["docker", "load", "--input", "vllm.tar"]);
  assert.deepEqual(imageLoadArgv("podman", "/x/vllm.tar"), ["podman", "load", "--input", "/x/vllm.tar"]);
});

Deno.test("sifBuildArgv() builds a .sif from a saved archive, with no registry", () => {
  assert.deepEqual(sifBuildArgv("vllm.sif", "/x/vllm.tar"), [
    "apptainer",
    "build",
    "vllm.sif",
    "docker-archive:/x/vllm.tar",
  ]);
  assert.equal(sifPathFor("/x/vllm.tar"), "/x/vllm.sif");
  assert.equal(sifPathFor("vllm.tar.gz"), "vllm.sif");
  assert.equal(sifPathFor("vllm-image"), "vllm-image.sif");
});
