/**
 * The single binary from scripts/compile.sh. Building it needs `denort` (DENORT_BIN), which cannot be
 * downloaded here: without it the tests that build it show as skipped. The list of embedded harness files
 * and the script's own argument checks are tested everywhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HARNESS_FILES } from "../src/runners/materialize_harness.ts";
import { inTempDir } from "./in_temp_dir.ts";
import { withReadOnlyMount } from "./read_only_mount.ts";
import { experimentYaml, manifestOf, studyDirs, withStudy } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;
const compileScript = join(repo, "scripts/compile.sh");

Deno.test("scripts/compile.sh embeds exactly the harness files sessions need", () => {
  const script = Deno.readTextFileSync(compileScript);
  const included = [...script.matchAll(/--include engines\/(\S+)/g)].map((m) => m[1]).sort();
  assert.deepEqual(included, [...HARNESS_FILES].sort());
});

Deno.test("scripts/compile.sh refuses an unknown option or a second path with exit 2, before building", async () => {
  for (const args of [["--self-extract"], ["a", "b"]]) {
    const result = await run("bash", [compileScript, ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^compile: .*\nusage: scripts\/compile\.sh \[--self-extracting\] \[OUT\]\n$/);
  }
});

async function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const output = await new Deno.Command(program, { args, ...options, stdout: "piped", stderr: "piped" })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

const denort = Deno.env.get("DENORT_BIN");
/** Where the tests build: build/ is ignored by git, and each build is made once per test process. */
const BUILD = join(repo, "build", "compiled-test");
const builds = new Map<string, Promise<string>>();

/** The binary scripts/compile.sh builds (with `flags`), built once. */
function built(flags: string[] = []): Promise<string> {
  const key = flags.join(" ");
  if (!builds.has(key)) {
    const binary = join(BUILD, flags.length ? "self-extracting" : "embedded", "llem");
    builds.set(
      key,
      (async () => {
        // A fresh folder: a self-extracting binary's earlier unpacked tree must not count.
        await Deno.remove(join(binary, ".."), { recursive: true }).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
        const result = await run("bash", [compileScript, ...flags, binary]);
        assert.equal(result.code, 0, result.stderr);
        return binary;
      })(),
    );
  }
  return builds.get(key)!;
}

/** A test that needs the compiled binary: it shows as skipped where DENORT_BIN is not set. */
function compiledTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({
    name: denort ? name : `SKIPPED (no DENORT_BIN: deno compile cannot get its runtime here): ${name}`,
    ignore: !denort,
    fn,
  });
}

/** The folders in `dir` (none when it does not exist). */
function folders(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

compiledTest(
  "the compiled llem runs a study through the process runner with its embedded harness",
  async () => {
    const binary = await built();
    await withStudy((model) => experimentYaml(model), async (study) => {
      const ran = await run(binary, ["run", study.file, "-o", "results"], { cwd: study.dir, env: study.env });
      assert.equal(ran.code, 0, ran.stderr + ran.stdout);
      const [dir] = studyDirs(study);
      assert.equal(manifestOf(dir!).summary.completed, 1);
      // The harness was copied out of the binary into the cache, where a container could mount it; DuckDB's
      // library too, so that the addon Deno writes out alone could load.
      const cache = study.env.LLEM_CACHE_DIR!;
      assert.equal(folders(join(cache, "harness")).length, 1);
      const [native] = folders(join(cache, "native"));
      assert.ok(Deno.statSync(join(cache, "native", native!, "libduckdb.so")).isFile);
      // llem demo too: its test engine ships inside the binary with the harness.
      const demo = await run(binary, ["demo", "-o", join(study.dir, "demo")], {
        env: { LLEM_CACHE_DIR: cache, LLEM_LOCK_DIR: study.env.LLEM_LOCK_DIR!, NO_COLOR: "1" },
      });
      assert.equal(demo.code, 0, demo.stderr);
      assert.match(demo.stdout, /report: .*demo-SIMULATED_.*report\.html/);
    });
  },
);

compiledTest(
  "the compiled llem in a read-only folder, started four times at once, copies DuckDB's library once",
  async (t) => {
    const binary = await built();
    await inTempDir((dir) =>
      withReadOnlyMount(t, {
        path: join(dir, "bin"),
        fill: (bin) => Deno.copyFileSync(binary, join(bin, "llem")),
        body: async (bin) => {
          const env = { LLEM_CACHE_DIR: join(dir, "cache"), PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
          // `run --help` loads the run command's module and with it DuckDB's addon, which fails without its library.
          const starts = await Promise.all(
            [0, 1, 2, 3].map(() => run(join(bin, "llem"), ["run", "--help"], { env })),
          );
          for (const start of starts) assert.equal(start.code, 0, start.stderr);
          const native = [...Deno.readDirSync(join(dir, "cache", "native"))].map((e) => e.name);
          assert.equal(native.length, 1, `one copy, nothing partial left: ${native}`);
        },
      })
    )();
  },
);

compiledTest("the compiled llem with a cache it cannot write exits 3 naming LLEM_CACHE_DIR", async (t) => {
  const binary = await built();
  await inTempDir((dir) =>
    withReadOnlyMount(t, {
      path: join(dir, "cache"),
      body: async (cache) => {
        const result = await run(binary, ["run", "--help"], {
          env: { LLEM_CACHE_DIR: cache, NO_COLOR: "1" },
        });
        assert.equal(result.code, 3, result.stderr);
        assert.match(
          result.stderr,
          new RegExp(`^error: Cannot write llem's cache "${cache}/native": .*read-only`, "m"),
        );
        assert.match(result.stderr, /^hint: .*LLEM_CACHE_DIR/m);
      },
    })
  )();
});

compiledTest(
  "compile.sh --self-extracting unpacks the binary beside itself; llem doctor says where",
  async () => {
    const binary = await built(["--self-extracting"]);
    const [hash] = folders(join(binary, "..", ".llem"));
    const unpacked = join(binary, "..", ".llem", hash!);
    assert.ok(Deno.statSync(join(unpacked, ".done")).isFile);
    const dir = Deno.makeTempDirSync({ prefix: "llem-compiled-" });
    try {
      const env = { LLEM_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };
      const doctor = await run(binary, ["doctor", "--json"], { env });
      const llem = JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === "llem");
      assert.equal(llem.status, "ok");
      assert.ok(
        llem.detail.endsWith(`unpacked by Deno beside it: ${Deno.realPathSync(unpacked)}`),
        llem.detail,
      );
      // DuckDB's addon loads from the unpacked tree, beside its library: nothing is copied into the cache.
      const help = await run(binary, ["run", "--help"], { env });
      assert.equal(help.code, 0, help.stderr);
      assert.deepEqual(folders(join(dir, "cache", "native")), []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);
