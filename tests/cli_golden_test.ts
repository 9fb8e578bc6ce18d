/**
 * CLI behaviour as data: each folder in tests/golden/ is one case with `case.json`
 * ({"args": [...], "cwd": "case" | "repo"}), its input files, and the expected `stdout`, `stderr`
 * and `exit_code`. The real `main.ts` runs in a fresh copy of the case folder. Set
 * LLEM_UPDATE_GOLDEN=1 to rewrite the expectations, then review the diff.
 */
import assert from "node:assert/strict";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";

const repo = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const goldenDir = `${repo}/tests/golden`;
const update = Deno.env.get("LLEM_UPDATE_GOLDEN") === "1";
const EXPECTED = new Set(["case.json", "stdout", "stderr", "exit_code"]);

interface GoldenCase {
  args: string[];
  cwd?: "case" | "repo";
}

/** Volatile parts of output: the git commit. */
function normalise(text: string): string {
  return text.replace(/\(commit [0-9a-f]+\)|\(commit unknown\)/g, "(commit <commit>)");
}

function copyCase(from: string, to: string): void {
  for (const entry of Deno.readDirSync(from)) {
    if (EXPECTED.has(entry.name)) continue;
    if (entry.isDirectory) {
      Deno.mkdirSync(`${to}/${entry.name}`);
      copyCase(`${from}/${entry.name}`, `${to}/${entry.name}`);
    } else Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return fallback;
  }
}

const names = [...Deno.readDirSync(goldenDir)].filter((e) => e.isDirectory).map((e) => e.name).sort();

for (const name of names) {
  Deno.test(`llem ${name} matches its golden output`, async () => {
    const dir = `${goldenDir}/${name}`;
    const spec = JSON.parse(Deno.readTextFileSync(`${dir}/case.json`)) as GoldenCase;
    const work = Deno.makeTempDirSync({ prefix: `llem-golden-${name}-` });
    try {
      copyCase(dir, work);
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...LLEM_PERMISSIONS,
          `${repo}/main.ts`,
          ...spec.args,
        ],
        cwd: spec.cwd === "repo" ? repo : work,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const actual = {
        stdout: normalise(new TextDecoder().decode(output.stdout)),
        stderr: normalise(new TextDecoder().decode(output.stderr)),
        exit_code: `${output.code}\n`,
      };
      if (update) {
        for (const [file, text] of Object.entries(actual)) {
          if (text === "" && file !== "exit_code") Deno.remove(`${dir}/${file}`).catch(() => {});
          else Deno.writeTextFileSync(`${dir}/${file}`, text);
        }
        return;
      }
      assert.equal(
        actual.exit_code,
        readOr(`${dir}/exit_code`, "0\n"),
        `exit code of llem ${spec.args.join(" ")}`,
      );
      assert.equal(actual.stderr, readOr(`${dir}/stderr`, ""), "stderr");
      assert.equal(actual.stdout, readOr(`${dir}/stdout`, ""), "stdout");
    } finally {
      Deno.removeSync(work, { recursive: true });
    }
  });
}
