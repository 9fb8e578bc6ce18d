import assert from "node:assert/strict";
import { join } from "node:path";
import { claimLlemOwner, ownerLockPath } from "./llem_owner.ts";
import { ownerLiveness } from "./owner_liveness.ts";
import { reapLeftovers } from "./reap_leftovers.ts";

const here = new URL(".", import.meta.url).pathname;

/** An owner claimed in `root` by another Deno process, which is then killed with SIGKILL. */
async function killedOwner(root: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { claimLlemOwner } from "${here}llem_owner.ts";
       console.log(claimLlemOwner(${JSON.stringify(root)}, { pid: Deno.pid, hostname: "h" }).dir);
       setInterval(() => {}, 1 << 30);`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let dir = "";
  while (!dir.includes("\n")) dir += (await reader.read()).value ?? "";
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  return dir.trim();
}

Deno.test("reapLeftovers() removes a killed llem's record and session files, and keeps a running one's", async () => {
  const root = Deno.makeTempDirSync({ prefix: "llem-reap-test-" });
  const live = claimLlemOwner(root, { pid: Deno.pid, hostname: "h" });
  try {
    const dead = await killedOwner(root);
    Deno.mkdirSync(join(dead, "exchange-x"));
    Deno.writeTextFileSync(join(dead, "exchange-x", "file"), "left");
    assert.equal(ownerLiveness(dead), "dead");
    assert.equal(
      ownerLiveness(live.dir),
      "alive",
      "a lock this process holds is held for its other files too",
    );
    // A folder whose record is gone (an llem that stopped between removing the two) is an orphan.
    const orphan = join(root, "h-1-orphan00");
    Deno.mkdirSync(orphan);
    const reaped = await reapLeftovers({ root, runtimes: [] });
    assert.deepEqual(reaped.folders.sort(), [dead, orphan].sort());
    assert.deepEqual(
      [...Deno.readDirSync(root)].map((e) => e.name).sort(),
      [
        live.dir.split("/").pop(),
        ownerLockPath(live.dir).split("/").pop(),
      ].sort(),
    );
  } finally {
    live.release();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an owner's release() removes its folder and record; another llem then judges it dead", () => {
  const root = Deno.makeTempDirSync({ prefix: "llem-reap-test-" });
  try {
    const owner = claimLlemOwner(root, { pid: 7, hostname: "h" });
    assert.equal(Deno.statSync(owner.dir).mode! & 0o777, 0o700);
    assert.match(Deno.readTextFileSync(ownerLockPath(owner.dir)), /"pid":7/);
    owner.release();
    assert.deepEqual([...Deno.readDirSync(root)], []);
    assert.equal(ownerLiveness(owner.dir), "absent");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
