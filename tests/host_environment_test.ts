/**
 * The host's CPU model and governor, read under the exact permissions llem runs with (the `llem` task and
 * the compiled binary: LLEM_PERMISSIONS, never --allow-all), in a separate Deno process as llem is.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "../src/runners/run_program.ts";
import { CPUINFO, cpuModelFrom, GOVERNOR } from "../src/study/host_environment.ts";
import { inTempDir } from "./in_temp_dir.ts";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";

const repo = new URL("../", import.meta.url).pathname;

/** What `cat` (not bound by Deno's permissions) reads from a kernel file, or null when it cannot. */
async function kernelFile(path: string): Promise<string | null> {
  const read = await runProgram(["cat", path], { timeoutMs: 5_000 });
  return read.code === 0 ? read.stdout : null;
}

Deno.test({
  name: `${
    Deno.build.os === "linux" ? "" : "SKIPPED (reads Linux's /proc and /sys): "
  }readHostEnvironment() reads the CPU model and governor under llem's own permissions`,
  ignore: Deno.build.os !== "linux",
  fn: inTempDir(async (dir) => {
    const script = join(dir, "host.ts");
    Deno.writeTextFileSync(
      script,
      `import { readHostEnvironment } from "${repo}src/study/host_environment.ts";\n` +
        `console.log(JSON.stringify(await readHostEnvironment()));\n`,
    );
    const read = await runProgram([Deno.execPath(), "run", ...LLEM_PERMISSIONS, script], {
      timeoutMs: 60_000,
    });
    assert.equal(read.code, 0, read.stderr);
    const host = JSON.parse(read.stdout);
    const expectedModel = cpuModelFrom(await kernelFile(CPUINFO));
    assert.ok(expectedModel, "this Linux machine's /proc/cpuinfo names its CPU model");
    assert.equal(host.cpuModel, expectedModel);
    const governor = (await kernelFile(GOVERNOR))?.trim() || null;
    assert.equal(host.cpuGovernor, governor);
    if (governor === null) {
      // This machine has no cpufreq (a VM): unknown, with the reason, and not a permission refusal.
      assert.match(host.unknown?.cpu_governor ?? "", /scaling_governor/);
      assert.doesNotMatch(host.unknown.cpu_governor, /allow-all|NotCapable|Requires/);
    }
    assert.equal(host.unknown?.cpu_model, undefined);
  }),
});
