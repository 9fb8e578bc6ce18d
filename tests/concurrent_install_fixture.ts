/**
 * One of several processes that start at once, as the tasks of a Slurm array do: it says it is ready (a
 * file `<barrier>.<index>.ready`), waits until `<barrier>` exists, then installs into the cache and prints
 * what it got as JSON. Arguments: `files CACHE BARRIER INDEX` (installOnce() of large files made here, the
 * same in every process) or `harness CACHE BARRIER INDEX` (materializeHarness() of this checkout's engines/).
 */
import assert from "node:assert/strict";
import { installOnce } from "../src/runners/install_once.ts";
import { materializeHarness } from "../src/runners/materialize_harness.ts";

/** Files large enough that the processes' copies overlap: 16 of 1 MiB, each filled with its index. */
export const FIXTURE_FILES = Array.from({ length: 16 }, (_, i) => ({
  name: `part-${i}/data.bin`,
  bytes: new Uint8Array(2 ** 20).fill(i + 1),
  mode: 0o644,
}));

/**
 * Start `count` processes of tests/concurrent_install_fixture.ts with `args`, wait until every one is
 * ready, let them go at once, and return what each printed.
 */
export async function startTogether(count: number, args: [string, string, string]): Promise<unknown[]> {
  const fixture = new URL(import.meta.url).pathname;
  const children = Array.from({ length: count }, (_, index) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fixture, ...args, String(index)],
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const barrier = args[2];
  const ready = () => Array.from({ length: count }, (_, i) => `${barrier}.${i}.ready`).every(exists);
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    // A process that failed before it was ready would keep the others waiting for ever.
    if (Date.now() > deadline) throw new Error(`not all of ${count} processes got ready in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  Deno.writeTextFileSync(barrier, "");
  const outputs = await Promise.all(children.map((child) => child.output()));
  return outputs.map((output) => {
    const text = new TextDecoder().decode(output.stdout);
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    return JSON.parse(text);
  });
}

if (import.meta.main) {
  const [mode, cache, barrier, index] = Deno.args;
  Deno.writeTextFileSync(`${barrier}.${index}.ready`, "");
  while (!exists(barrier!)) await new Promise((resolve) => setTimeout(resolve, 1));
  const installed = mode === "harness"
    ? { dir: materializeHarness(new URL("../engines/", import.meta.url).pathname, cache!), outcome: null }
    : installOnce(cache!, FIXTURE_FILES);
  console.log(JSON.stringify(installed));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
