import assert from "node:assert/strict";
import type { CliIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    env: {},
    cwd: Deno.cwd(),
  };
  return io;
}

Deno.test("runCli() --version prints the package version and a commit", async () => {
  const io = capture();
  assert.equal(await runCli(["--version"], io), 0);
  assert.match(io.stdout, /^llem \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,12}|unknown)\)\n$/);
});

Deno.test("runCli() init -o writes a starter config that plan accepts, and never overwrites", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/study.yaml`;
    const io = capture();
    assert.equal(await runCli(["init", "--study", "--engine", "vllm", "-o", path], io), 0);
    assert.match(io.stderr, /wrote .*study\.yaml/);
    const written = await Deno.readTextFile(path);
    const plan = capture();
    assert.equal(await runCli(["plan", path, "--json"], plan), 0, plan.stderr);
    const parsed = JSON.parse(plan.stdout);
    assert.equal(parsed.study_name, "vllm-sweep");
    assert.ok(parsed.runs.length > 1);
    const again = capture();
    assert.equal(await runCli(["init", "-o", path], again), 2);
    assert.match(again.stderr, /already exists/);
    assert.equal(await Deno.readTextFile(path), written);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli() plan --json is one JSON document agreeing with the text plan", async () => {
  const json = capture();
  const text = capture();
  assert.equal(await runCli(["plan", "examples/study.yaml", "--json"], json), 0);
  assert.equal(await runCli(["plan", "examples/study.yaml"], text), 0);
  const plan = JSON.parse(json.stdout);
  assert.ok(text.stdout.includes(`design hash ${plan.study_design_hash}`));
  assert.equal(plan.runs.length, plan.funnel.runs);
  for (const run of plan.runs) assert.ok(text.stdout.includes(run.measurement_config_hash));
});
