import assert from "node:assert/strict";
import { apptainerImageProblem, imageFileStem, sifRecipe } from "./apptainer_image.ts";

const none = { allowNetwork: false, exists: () => false };

Deno.test("imageFileStem() names an image's archive after its last part and tag", () => {
  assert.equal(imageFileStem("vllm/vllm-openai:v0.33.0"), "vllm-openai-v0.33.0");
  assert.equal(imageFileStem("nvcr.io/nvidia/tensorrt-llm/release:1.0.0"), "release-1.0.0");
  assert.equal(imageFileStem("docker://ubuntu@sha256:abc"), "ubuntu");
});

Deno.test("sifRecipe() is the offline path: docker save, then apptainer build from docker-archive", () => {
  assert.equal(
    sifRecipe("vllm/vllm-openai:v0.33.0"),
    "where Docker has the image: docker save vllm/vllm-openai:v0.33.0 -o vllm-openai-v0.33.0.tar; " +
      "then apptainer build vllm-openai-v0.33.0.sif docker-archive:vllm-openai-v0.33.0.tar, " +
      "and set image: to that .sif",
  );
  assert.match(sifRecipe("docker://vllm/vllm-openai:v0.33.0"), /docker save vllm\/vllm-openai:v0\.33\.0 -o/);
});

Deno.test("apptainerImageProblem() takes a .sif that exists and local sources", () => {
  const exists = (path: string) => path === "/sif/vllm.sif";
  assert.equal(apptainerImageProblem("/sif/vllm.sif", { allowNetwork: false, exists }), null);
  assert.equal(apptainerImageProblem("docker-archive:/x/vllm.tar", none), null);
  assert.equal(apptainerImageProblem("docker-daemon:vllm/vllm-openai:v0.33.0", none), null);
});

Deno.test("apptainerImageProblem() refuses a Docker name, which Apptainer would look for as a file", () => {
  const problem = apptainerImageProblem("vllm/vllm-openai:v0.33.0", none);
  assert.equal(
    problem?.message,
    "image vllm/vllm-openai:v0.33.0 is a registry name, not a file: Apptainer runs .sif files",
  );
  assert.equal(problem?.fix, sifRecipe("vllm/vllm-openai:v0.33.0"));
  // Even with the network: without docker:// Apptainer never pulls it.
  assert.ok(apptainerImageProblem("vllm/vllm-openai:v0.33.0", { ...none, allowNetwork: true }));
});

Deno.test("apptainerImageProblem() refuses a registry source offline, and a .sif that is missing", () => {
  assert.match(
    apptainerImageProblem("docker://vllm/vllm-openai:v0.33.0", none)?.message ?? "",
    /would be pulled from the network, and allow_network is false/,
  );
  assert.equal(
    apptainerImageProblem("docker://vllm/vllm-openai:v0.33.0", { ...none, allowNetwork: true }),
    null,
  );
  assert.equal(
    apptainerImageProblem("/sif/missing.sif", none)?.message,
    "image /sif/missing.sif does not exist",
  );
  assert.equal(apptainerImageProblem("vllm.sif", none)?.message, "image vllm.sif does not exist");
});
