import assert from "node:assert/strict";
import { acquireGpuLocks, GpuBusy } from "./gpu_lock.ts";

const holder = (study: string) => ({ pid: 1, hostname: "h", study, since: "2026-01-01T00:00:00Z" });

/** Hold a lock from another process (flock is per open file description, so use a child). */
async function lockInChild(dir: string, uuid: string): Promise<Deno.ChildProcess> {
  const script = `
    const f = await Deno.open(${
    JSON.stringify(`${dir}/${uuid}.lock`)
  }, { read: true, write: true, create: true });
    await f.lock(true);
    f.writeSync(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid, hostname: "other", study: "s2", since: "x" })));
    console.log("locked");
    setInterval(() => {}, 60_000);`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /locked/);
  reader.releaseLock();
  return child;
}

Deno.test("acquireGpuLocks() refuses a GPU locked by another process when asked not to wait", async () => {
  const dir = Deno.makeTempDirSync();
  const child = await lockInChild(dir, "GPU-a");
  try {
    await assert.rejects(
      () => acquireGpuLocks(["GPU-b", "GPU-a"], { dir, wait: false, holder: holder("s1") }),
      (e: unknown) => e instanceof GpuBusy && e.uuid === "GPU-a" && e.holder?.study === "s2",
    );
    // GPU-b was released again when GPU-a failed.
    const locks = await acquireGpuLocks(["GPU-b"], { dir, wait: false, holder: holder("s1") });
    locks.release();
  } finally {
    child.kill();
    await child.status;
    await child.stdout.cancel().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("acquireGpuLocks() waits, saying who holds the GPU, and gets it when the holder dies", async () => {
  const dir = Deno.makeTempDirSync();
  const child = await lockInChild(dir, "GPU-a");
  const waited: string[] = [];
  try {
    const pending = acquireGpuLocks(["GPU-a"], {
      dir,
      wait: true,
      holder: holder("s1"),
      onWait: (uuid, who) => {
        waited.push(`${uuid} ${who?.study}`);
        child.kill("SIGKILL");
      },
    });
    const locks = await pending;
    assert.deepEqual(waited, ["GPU-a s2"]);
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/GPU-a.lock`)).study, "s1");
    locks.release();
  } finally {
    await child.status;
    await child.stdout.cancel().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("acquireGpuLocks() leaves a lock file every user can open: the next user's llem locks it too", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const locks = await acquireGpuLocks(["GPU-a"], { dir, wait: false, holder: holder("s") });
    locks.release();
    // The umask (022 as a rule) would leave 0644: another user could not open it for writing.
    assert.equal(Deno.statSync(`${dir}/GPU-a.lock`).mode! & 0o777, 0o666);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
