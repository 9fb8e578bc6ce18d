import * as assert from "node:assert/strict";
import { join } from "node:path";
import { LLEM_PERMISSIONS } from "../../tests/llem_permissions.ts";
import { readKernelFile } from "./read_kernel_file.ts";

/**
 * A file under /sys that every Linux machine (and container) has, found through readKernelFile itself: the
 * test task runs without --allow-all, so Deno cannot even stat a path there.
 */
const SYS_FILE = ["/sys/devices/system/cpu/online", "/sys/class/net/lo/type"].find((path) =>
  "text" in readKernelFile(path)
);

/** The file as `cat` reads it: a process of its own, bound by nothing of Deno's. */
async function catFile(path: string): Promise<string> {
  const output = await new Deno.Command("cat", { args: [path], stdout: "piped" }).output();
  return new TextDecoder().decode(output.stdout);
}

Deno.test({
  name: "readKernelFile reads under /sys with llem's permissions, where Deno's own read refuses",
  ignore: SYS_FILE === undefined,
  fn: async () => {
    const module = new URL("./read_kernel_file.ts", import.meta.url).href;
    const script = `import { readKernelFile } from "${module}";
      const path = ${JSON.stringify(SYS_FILE)};
      let deno;
      try { Deno.readTextFileSync(path); deno = "read"; } catch (error) { deno = error.name; }
      console.log(JSON.stringify({ deno, ours: readKernelFile(path) }));`;
    const file = join(Deno.makeTempDirSync(), "probe.ts");
    Deno.writeTextFileSync(file, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", ...LLEM_PERMISSIONS, file],
      stderr: "inherit",
    }).output();
    assert.equal(output.code, 0);
    const { deno, ours } = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(
      deno,
      "NotCapable",
      "Deno keeps /sys for --allow-all (if this changes, the FFI read can go)",
    );
    assert.equal(ours.text, await catFile(SYS_FILE!));
  },
});

Deno.test("readKernelFile names what went wrong: a missing file, a folder", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.deepEqual(readKernelFile(join(dir, "missing")), { error: "ENOENT" });
    assert.deepEqual(readKernelFile(dir), { error: "EISDIR" });
    Deno.writeTextFileSync(join(dir, "energy_uj"), "123456\n");
    assert.deepEqual(readKernelFile(join(dir, "energy_uj")), { text: "123456\n" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
