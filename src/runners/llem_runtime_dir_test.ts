import assert from "node:assert/strict";
import { join } from "node:path";
import { NotReadyError } from "../errors/not_ready_error.ts";
import { leaseLlemOwner } from "./lease_llem_owner.ts";
import { llemRuntimeDir } from "./llem_runtime_dir.ts";

const uid = Deno.uid() ?? 0;

Deno.test("llemRuntimeDir() makes a 0700 folder of the user's, tightens a looser one, refuses a link", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "llem-runtime-test-" });
  try {
    const dir = llemRuntimeDir({ tmpDir: tmp, uid });
    assert.equal(dir, join(tmp, `llem-${uid}`));
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    Deno.chmodSync(dir, 0o755);
    llemRuntimeDir({ tmpDir: tmp, uid });
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    Deno.removeSync(dir);
    // Someone else's link in a shared /tmp would send llem's secrets wherever it points.
    Deno.symlinkSync(tmp, dir);
    assert.throws(() => llemRuntimeDir({ tmpDir: tmp, uid }), NotReadyError);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test({
  name: `${uid === 0 ? "" : "SKIPPED (needs root, to make a folder of another uid): "}` +
    "llemRuntimeDir() refuses a folder that another user made",
  ignore: uid !== 0,
  fn: () => {
    const tmp = Deno.makeTempDirSync({ prefix: "llem-runtime-test-" });
    try {
      Deno.mkdirSync(join(tmp, "llem-0"), { mode: 0o700 });
      Deno.chownSync(join(tmp, "llem-0"), 65534, 65534);
      assert.throws(() => llemRuntimeDir({ tmpDir: tmp, uid: 0 }), /belongs to uid 65534/);
    } finally {
      Deno.removeSync(tmp, { recursive: true });
    }
  },
});

Deno.test("leaseLlemOwner() shares one owner record until the last lease is given back", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "llem-runtime-test-" });
  try {
    const first = leaseLlemOwner(tmp);
    const second = leaseLlemOwner(tmp);
    assert.equal(second.dir, first.dir);
    assert.ok(first.dir.startsWith(join(tmp, `llem-${uid}`)));
    first.release();
    first.release();
    assert.ok(Deno.statSync(second.dir).isDirectory, "the record outlived a lease still held");
    second.release();
    assert.deepEqual([...Deno.readDirSync(join(tmp, `llem-${uid}`))], []);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});
