import assert from "node:assert/strict";
import { containerUser, containerUserFlags } from "./container_user.ts";

Deno.test("containerUser() keeps the invoking user's ids but never runs the engine as root", () => {
  assert.equal(containerUser(1000, 1001), "1000:1001");
  assert.equal(containerUser(0, 0), "65534:65534");
  assert.equal(containerUser(0, 1000), "65534:65534");
});

Deno.test("containerUserFlags() maps a rootless Podman user to itself (keep-id), and leaves rootful ids alone", () => {
  assert.deepEqual(containerUserFlags("podman", { uid: 1000, gid: 1001 }), [
    "--user",
    "1000:1001",
    "--userns",
    "keep-id",
  ]);
  // Rootful Podman, like Docker, runs with the host's ids; Podman 4.3 refuses keep-id there outright
  // ("keep-id is only supported in rootless mode"), so every session of an llem run as root failed.
  assert.deepEqual(containerUserFlags("podman", { uid: 0, gid: 0 }), ["--user", "65534:65534"]);
  assert.deepEqual(containerUserFlags("docker", { uid: 1000, gid: 1001 }), ["--user", "1000:1001"]);
});
