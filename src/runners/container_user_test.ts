import assert from "node:assert/strict";
import { containerUser } from "./container_user.ts";

Deno.test("containerUser() keeps the invoking user's ids but never runs the engine as root", () => {
  assert.equal(containerUser(1000, 1001), "1000:1001");
  assert.equal(containerUser(0, 0), "65534:65534");
  assert.equal(containerUser(0, 1000), "65534:65534");
});
