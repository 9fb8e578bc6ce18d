import assert from "node:assert/strict";
import { Interrupted, interruptible } from "./interrupted.ts";

Deno.test("interruptible() of an already stopped study leaves the request's later failure handled", async () => {
  // SIGTERM during a session's start: the next request is sent, then found interrupted at once. The
  // request fails later (its harness killed); unhandled, that failure crashed llem (exit 1).
  const controller = new AbortController();
  controller.abort();
  let fail = (_: Error) => {};
  const request = new Promise<string>((_, reject) => fail = reject);
  await assert.rejects(interruptible(request, controller.signal), Interrupted);
  fail(new Error("the harness exited with code 137"));
  // Give an unhandled rejection the chance to surface (Deno's test runner fails the test on one).
  await new Promise((resolve) => setTimeout(resolve, 10));
});

Deno.test("interruptible() gives the request's answer, or Interrupted at an abort", async () => {
  assert.equal(await interruptible(Promise.resolve("ready"), new AbortController().signal), "ready");
  const controller = new AbortController();
  const waiting = interruptible(new Promise<string>(() => {}), controller.signal);
  controller.abort();
  await assert.rejects(waiting, Interrupted);
});
