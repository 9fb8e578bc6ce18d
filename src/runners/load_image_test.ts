import assert from "node:assert/strict";
import { loadedImages } from "./load_image.ts";

Deno.test("loadedImages() reads the images Docker and Podman say they loaded", () => {
  assert.deepEqual(loadedImages("Loaded image: vllm/vllm-openai:v0.33.0\n"), ["vllm/vllm-openai:v0.33.0"]);
  assert.deepEqual(loadedImages("Loaded image ID: sha256:0123abcd\n"), ["sha256:0123abcd"]);
  // Podman 4 (one line per image) and Podman 3 (one line, comma-separated).
  assert.deepEqual(loadedImages("Getting image source signatures\nLoaded image: docker.io/library/x:1\n"), [
    "docker.io/library/x:1",
  ]);
  assert.deepEqual(loadedImages("Loaded image(s): localhost/a:1,localhost/b:2\n"), [
    "localhost/a:1",
    "localhost/b:2",
  ]);
  assert.deepEqual(loadedImages(""), []);
});
