/**
 * The single binary from scripts/compile.sh. Building it needs `denort` (DENORT_BIN), which cannot be
 * downloaded here: without it the build test shows as skipped. The list of embedded harness files is
 * checked everywhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HARNESS_FILES } from "../src/runners/materialize_harness.ts";
import { experimentYaml, manifestOf, studyDirs, withStudy } from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;

Deno.test("scripts/compile.sh embeds exactly the harness files sessions need", () => {
  const script = Deno.readTextFileSync(join(repo, "scripts/compile.sh"));
  const included = [...script.matchAll(/--include engines\/(\S+)/g)].map((m) => m[1]).sort();
  assert.deepEqual(included, [...HARNESS_FILES].sort());
});

const denort = Deno.env.get("DENORT_BIN");
Deno.test({
  name: denort
    ? "the compiled llem runs a study through the process runner with its embedded harness"
    : "SKIPPED (no DENORT_BIN: deno compile cannot get its runtime here): the compiled llem runs a study",
  ignore: !denort,
  fn: async () => {
    const out = Deno.makeTempDirSync({ prefix: "llem-compiled-" });
    try {
      const binary = join(out, "llem");
      const built = await new Deno.Command("bash", { args: [join(repo, "scripts/compile.sh"), binary] })
        .output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      await withStudy((model) => experimentYaml(model), async (study) => {
        const ran = await new Deno.Command(binary, {
          args: ["run", study.file, "-o", "results"],
          cwd: study.dir,
          env: study.env,
        }).output();
        assert.equal(
          ran.code,
          0,
          new TextDecoder().decode(ran.stderr) + new TextDecoder().decode(ran.stdout),
        );
        const [dir] = studyDirs(study);
        assert.equal(manifestOf(dir!).summary.completed, 1);
        // The harness was copied out of the binary into the cache, where a container could mount it.
        const copies = [...Deno.readDirSync(join(study.env.LLEM_CACHE_DIR!, "harness"))];
        assert.equal(copies.length, 1);
        // llem demo too: its test engine ships inside the binary with the harness.
        const demo = await new Deno.Command(binary, {
          args: ["demo", "-o", join(study.dir, "demo")],
          env: {
            LLEM_CACHE_DIR: study.env.LLEM_CACHE_DIR!,
            LLEM_LOCK_DIR: study.env.LLEM_LOCK_DIR!,
            NO_COLOR: "1",
          },
        }).output();
        assert.equal(demo.code, 0, new TextDecoder().decode(demo.stderr));
        assert.match(new TextDecoder().decode(demo.stdout), /report: .*demo-SIMULATED_.*report\.html/);
      });
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
});
