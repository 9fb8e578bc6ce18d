import assert from "node:assert/strict";
import { experimentSchema } from "../config/experiment_config.ts";
import { pathExists } from "./path_exists.ts";
import { openSessionFiles } from "./session_files.ts";

const host = { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0, cwd: "/" };

Deno.test("openSessionFiles() gives an apptainer session a work folder beside its exchange folder, removed with it", () => {
  const tmpDir = Deno.makeTempDirSync();
  try {
    const config = experimentSchema.parse({ model: "org/model", runner: "apptainer" });
    const files = openSessionFiles(config, { runner: "apptainer", host, secrets: {}, tmpDir });
    assert.ok(files.workDir !== null && Deno.statSync(files.workDir).isDirectory);
    assert.ok(
      files.workDir.startsWith(`${files.owner.dir}/`),
      "in llem's private owner folder, reaped after a kill",
    );
    assert.notEqual(files.workDir, files.exchangeDir);
    files.release();
    assert.ok(!pathExists(files.workDir) && !pathExists(files.exchangeDir));
    const docker = openSessionFiles(config, { runner: "docker", host, secrets: {}, tmpDir });
    assert.equal(docker.workDir, null);
    docker.release();
  } finally {
    Deno.removeSync(tmpDir, { recursive: true });
  }
});
