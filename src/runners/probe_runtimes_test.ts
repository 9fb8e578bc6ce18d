import assert from "node:assert/strict";
import { probeRuntimes } from "./probe_runtimes.ts";

/** Run `body` with PATH holding only these programs (shell scripts printing `version` and exiting 0). */
async function withPrograms(versions: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync();
  for (const [name, version] of Object.entries(versions)) {
    Deno.writeTextFileSync(`${dir}/${name}`, `#!/bin/sh\necho "${version}"\n`, { mode: 0o755 });
  }
  const path = Deno.env.get("PATH");
  Deno.env.set("PATH", dir);
  try {
    await body();
  } finally {
    if (path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", path);
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("probeRuntimes() finds Singularity under its own name where no apptainer is installed", async () => {
  await withPrograms({ singularity: "singularity-ce version 4.1.0" }, async () => {
    const apptainer = (await probeRuntimes(5000)).find((p) => p.runtime === "apptainer")!;
    assert.equal(apptainer.program, "singularity");
    assert.ok(apptainer.usable);
    assert.equal(apptainer.version, "4.1.0");
  });
});

Deno.test("probeRuntimes() prefers apptainer to singularity when both are installed", async () => {
  await withPrograms(
    { apptainer: "apptainer version 1.3.4", singularity: "apptainer version 1.3.4" },
    async () => {
      const apptainer = (await probeRuntimes(5000)).find((p) => p.runtime === "apptainer")!;
      assert.equal(apptainer.program, undefined);
      assert.equal(apptainer.version, "1.3.4");
    },
  );
  await withPrograms({}, async () => {
    const none = (await probeRuntimes(5000)).find((p) => p.runtime === "apptainer")!;
    assert.ok(!none.installed && !none.usable);
    assert.equal(none.program, undefined);
  });
});
