import assert from "node:assert/strict";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { readConfigFile } from "./read_config_file.ts";

const repo = new URL("../../", import.meta.url).pathname;

Deno.test(
  "readConfigFile() reads a regular file, and names a missing file and a folder",
  inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/study.yaml`, "model: gpt2\n");
    const read = readConfigFile(`${dir}/study.yaml`);
    assert.equal(read.kind, "file");
    assert.equal(new TextDecoder().decode(read.kind === "file" ? read.bytes : undefined), "model: gpt2\n");
    assert.deepEqual(readConfigFile(`${dir}/nothing.yaml`), { kind: "missing" });
    assert.deepEqual(readConfigFile(dir), { kind: "directory" });
  }),
);

Deno.test(
  "readConfigFile() refuses a file over the size limit",
  inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/big.yaml`, "x".repeat(101));
    Deno.writeTextFileSync(`${dir}/fits.yaml`, "x".repeat(100));
    const big = readConfigFile(`${dir}/big.yaml`, { maxBytes: 100 });
    assert.equal(big.kind, "unreadable");
    assert.equal(
      big.kind === "unreadable" && big.reason,
      "larger than 100 bytes, the most a config file may have",
    );
    assert.equal(readConfigFile(`${dir}/fits.yaml`, { maxBytes: 100 }).kind, "file");
  }),
);

Deno.test("readConfigFile() reads at most the limit from a file whose size says 0", async () => {
  // Files under /proc report size 0 and have any length: a size check before reading let them all in.
  // Reading /proc/self needs every permission, so this runs in a child `deno eval`, which has them.
  const script = `import { readConfigFile } from "./src/study/read_config_file.ts";
    const read = readConfigFile("/proc/self/maps", { maxBytes: 256 });
    console.log(JSON.stringify({ kind: read.kind, size: Deno.statSync("/proc/self/maps").size,
      bytes: read.kind === "file" ? read.bytes.length : null, reason: read.reason ?? null }));`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual(result, {
    kind: "unreadable",
    size: 0,
    bytes: null,
    reason: "larger than 256 bytes, the most a config file may have",
  });
});

Deno.test(
  "readConfigFile() refuses a named pipe without opening it, which would wait for a writer",
  inTempDir(async (dir) => {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo.yaml`] }).output();
    assert.ok(made.success, "mkfifo");
    const read = readConfigFile(`${dir}/fifo.yaml`);
    assert.deepEqual(read, {
      kind: "unreadable",
      reason: "is a pipe, not a regular file",
      hint: "llem reads a config from a file, not from a pipe or <(...): save it to a file and name that",
    });
  }),
);

Deno.test("readConfigFile() refuses a device, which may never end", () => {
  const read = readConfigFile("/dev/zero");
  assert.equal(read.kind, "unreadable");
  assert.equal(read.kind === "unreadable" && read.reason, "is a device, not a regular file");
});
