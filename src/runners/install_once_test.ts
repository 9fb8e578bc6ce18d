import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURE_FILES, startTogether } from "../../tests/concurrent_install_fixture.ts";
import { inTempDir } from "../../tests/in_temp_dir.ts";
import { withReadOnlyMount } from "../../tests/read_only_mount.ts";
import { CacheNotWritable } from "./cache_not_writable.ts";
import { INSTALL_MANIFEST, type Installed, installOnce } from "./install_once.ts";

const FILES = [
  { name: "lib/libx.so", bytes: new Uint8Array([1, 2, 3, 4]), mode: 0o755 },
  { name: "README", bytes: new TextEncoder().encode("x\n"), mode: 0o644 },
];

/** The names in `dir` that start with a dot: partial or damaged folders. */
const hidden = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(".")).sort();

function assertComplete(dir: string, files: typeof FILES): void {
  for (const file of files) {
    assert.deepEqual(Deno.readFileSync(join(dir, file.name)), file.bytes, file.name);
    assert.equal(Deno.statSync(join(dir, file.name)).mode! & 0o777, file.mode, file.name);
  }
  assert.equal(Deno.statSync(dir).mode! & 0o777, 0o755);
}

Deno.test(
  "installOnce() puts files in place once, under their content's hash, its manifest inside",
  inTempDir((parent) => {
    const first = installOnce(parent, FILES);
    assert.equal(first.outcome, "installed");
    assert.match(first.dir, new RegExp(`^${parent}/[0-9a-f]{16}$`));
    assertComplete(first.dir, FILES);
    const manifest = JSON.parse(Deno.readTextFileSync(join(first.dir, INSTALL_MANIFEST)));
    assert.equal(manifest.sha256.slice(0, 16), first.dir.slice(-16));
    assert.deepEqual(manifest.files, [{ name: "lib/libx.so", bytes: 4 }, { name: "README", bytes: 2 }]);
    const written = Deno.statSync(join(first.dir, "README")).mtime;
    assert.deepEqual(installOnce(parent, FILES), { dir: first.dir, outcome: "found" });
    assert.deepEqual(Deno.statSync(join(first.dir, "README")).mtime, written, "not written again");
    const other = installOnce(parent, [{ ...FILES[1]!, mode: 0o600 }]);
    assert.notEqual(other.dir, first.dir, "other content (a mode is content): another folder");
    assert.deepEqual(hidden(parent), [], "no partial folder left");
  }),
);

Deno.test(
  "installOnce() never uses a damaged folder: it is moved aside (kept) and replaced",
  inTempDir((parent) => {
    const damages: [string, (dir: string) => void][] = [
      ["no manifest", (dir) => Deno.removeSync(join(dir, INSTALL_MANIFEST))],
      ["a file removed", (dir) => Deno.removeSync(join(dir, "README"))],
      ["a file cut short", (dir) => Deno.writeFileSync(join(dir, "lib/libx.so"), new Uint8Array([1]))],
      [
        "another content's manifest",
        (dir) => Deno.writeTextFileSync(join(dir, INSTALL_MANIFEST), '{"sha256":"0"}'),
      ],
      ["a file in its place", (dir) => {
        Deno.removeSync(dir, { recursive: true });
        Deno.writeTextFileSync(dir, "");
      }],
    ];
    for (const [index, [name, damage]] of damages.entries()) {
      const { dir } = installOnce(parent, FILES);
      damage(dir);
      assert.deepEqual(installOnce(parent, FILES), { dir, outcome: "replaced" }, name);
      assertComplete(dir, FILES);
      assert.equal(hidden(parent).filter((n) => n.startsWith(".damaged-")).length, index + 1, name);
      assert.equal(hidden(parent).filter((n) => n.startsWith(".partial-")).length, 0, name);
    }
  }),
);

Deno.test("installOnce() from several processes started at once: one installs, all use its folder", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "llem-test-" });
  try {
    const results = await startTogether(6, ["files", join(dir, "cache"), join(dir, "go")]);
    const installed = results as Installed[];
    assert.equal(installed.filter((r) => r.outcome === "installed").length, 1, JSON.stringify(installed));
    assert.ok(installed.every((r) => ["installed", "found", "lost_race"].includes(r.outcome)));
    assert.equal(new Set(installed.map((r) => r.dir)).size, 1);
    assertComplete(installed[0]!.dir, FIXTURE_FILES);
    assert.deepEqual([...Deno.readDirSync(join(dir, "cache"))].map((e) => e.name), [
      installed[0]!.dir.slice(-16),
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("installOnce() in a read-only cache uses a complete folder there, and otherwise says it cannot write", (t) =>
  inTempDir((dir) => {
    let installed: Installed | null = null;
    return withReadOnlyMount(t, {
      path: join(dir, "cache"),
      fill: (cache) => installed = installOnce(cache, FILES),
      body: (cache) => {
        assert.deepEqual(installOnce(cache, FILES), { dir: installed!.dir, outcome: "found" });
        assert.throws(() => installOnce(cache, FILES.slice(1)), CacheNotWritable);
      },
    });
  })());
