import assert from "node:assert/strict";
import { readSystemFile } from "./read_system_file.ts";

Deno.test({
  name: `${
    Deno.build.os === "linux" ? "" : "SKIPPED (reads Linux's /proc): "
  }readSystemFile() reads what Deno refuses without --allow-all, and says why a file cannot be read`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const version = await readSystemFile("/proc/version");
    assert.ok("text" in version && version.text.startsWith("Linux"), JSON.stringify(version));
    assert.deepEqual(await readSystemFile("/proc/no-such-file"), { unreadable: "No such file or directory" });
  },
});
