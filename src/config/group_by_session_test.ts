import assert from "node:assert/strict";
import { groupBySession } from "./group_by_session.ts";

Deno.test("groupBySession() puts equal keys together, each group where it first appears, stably", () => {
  assert.deepEqual(groupBySession(["a", "b", "a", "c", "b", "a"]), [0, 2, 5, 1, 4, 3]);
  assert.deepEqual(groupBySession(["x", "x", "y"]), [0, 1, 2]);
  assert.deepEqual(groupBySession([]), []);
});
