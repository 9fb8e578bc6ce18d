/**
 * Real sessions through the apptainer runner, where `apptainer` (or only `singularity`) is on the PATH:
 * the harness and the test engine in a .sif, started by apptainerArgv() exactly as a study starts them,
 * and the confinement seen from inside a container started with the same options.
 *
 * The image: $LLEM_TEST_SIF (a .sif with python3), else one built once, offline, from the Docker test
 * image of scripts/ci_docker.sh by the documented path (`docker save`, then `apptainer build x.sif
 * docker-archive:x.tar`) and kept in build/. Without Apptainer or an image every test is listed as
 * "SKIPPED (...)".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "../src/engines/harness_protocol.ts";
import { apptainerArgv, type ApptainerProgram } from "../src/runners/apptainer_argv.ts";
import type { HarnessLaunch } from "../src/runners/harness_launch.ts";
import { HarnessSession } from "../src/runners/harness_session.ts";
import { imageSaveArgv, sifBuildArgv } from "../src/runners/image_archive_argv.ts";
import { runProgram } from "../src/runners/run_program.ts";
import { writeSecretsFile } from "../src/runners/secrets_file.ts";
import { probeTestRuntime } from "./container_test_runtime.ts";
import { TEST_WORKLOAD } from "./test_workload.ts";

const repo = new URL("../", import.meta.url).pathname;
/** A GPU the container is told it has: with no GPU here, --nv binds nothing, and the variable is what counts. */
const GPU = "GPU-00000000-1111-2222-3333-444444444444";
const SECRET = "hf_secretTokenForTheApptainerTest01";

/** The command that runs containers here, or null. */
async function findProgram(): Promise<ApptainerProgram | null> {
  for (const program of ["apptainer", "singularity"] as const) {
    if ((await runProgram([program, "--version"], { timeoutMs: 10_000 })).code === 0) return program;
  }
  return null;
}

/** The .sif the tests run, or why there is none. */
async function testImage(program: ApptainerProgram): Promise<{ sif: string } | { skip: string }> {
  const given = Deno.env.get("LLEM_TEST_SIF");
  if (given) return { sif: given };
  const docker = await probeTestRuntime("docker");
  if ("skip" in docker) {
    return {
      skip: `no image: set LLEM_TEST_SIF to a .sif with python3, or ${docker.skip} to build one from`,
    };
  }
  const sif = `${repo}build/apptainer-${docker.image.replace(/[^A-Za-z0-9.-]/g, "_")}.sif`;
  try {
    Deno.statSync(sif);
    return { sif };
  } catch { /* built below */ }
  const archive = `${sif}.tar`;
  try {
    Deno.mkdirSync(`${repo}build`, { recursive: true });
    const saved = await runProgram(imageSaveArgv("docker", { image: docker.image, file: archive }), {
      timeoutMs: 300_000,
    });
    if (saved.code !== 0) return { skip: `docker save failed: ${saved.stderr.trim()}` };
    const [, ...args] = sifBuildArgv(sif, archive);
    const built = await runProgram([program, ...args], { timeoutMs: 600_000 });
    if (built.code !== 0) {
      return { skip: `${program} build failed: ${built.stderr.trim().split("\n").at(-1)}` };
    }
    return { sif };
  } finally {
    try {
      Deno.removeSync(archive);
    } catch { /* never written */ }
  }
}

const program = await findProgram();
const found = program ? await testImage(program) : { skip: "no apptainer or singularity on PATH" };

/** A Deno.test that runs only where Apptainer and a test image are; elsewhere a visible skip. */
function apptainerTest(
  name: string,
  fn: (run: { program: ApptainerProgram; sif: string }) => Promise<void>,
): void {
  if (!program || "skip" in found) {
    const why = "skip" in found ? found.skip : "no apptainer or singularity on PATH";
    Deno.test({ name: `SKIPPED (${why}): ${name}`, ignore: true, fn: () => {} });
    return;
  }
  Deno.test(name, () => fn({ program, sif: found.sif }));
}

/** Variables of llem's environment that must never reach a container (set while a test runs). */
const HOST_ONLY = {
  APPTAINERENV_LLEM_LEAKED: "leaked",
  SINGULARITYENV_LLEM_LEAKED: "leaked",
  LLEM_HOST_ONLY: "host",
  PYTHONPATH: "/nonexistent/host/lib",
};

/** A launch of the test engine with a secret, and the folders a session has; removed after `body`. */
async function withLaunch(
  body: (launch: HarnessLaunch, dirs: { workDir: string; hostDir: string }) => Promise<void>,
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "llem-apptainer-test-" });
  const [exchangeDir, workDir, hostDir] = ["exchange", "work", "host"].map((d) => join(root, d)) as [
    string,
    string,
    string,
  ];
  for (const dir of [exchangeDir, workDir, hostDir]) Deno.mkdirSync(dir);
  Deno.writeTextFileSync(join(hostDir, "marker"), "a host file");
  const secrets = writeSecretsFile({ HF_TOKEN: SECRET }, { tmpDir: root, owner: null });
  // APPTAINER_BIND would add a mount if the client saw it.
  const host = { ...HOST_ONLY, APPTAINER_BIND: hostDir, SINGULARITY_BIND: hostDir };
  for (const [name, value] of Object.entries(host)) Deno.env.set(name, value);
  try {
    await body({
      engine: "test",
      harnessDir: `${repo}engines`,
      adapterPath: `${repo}engines/test_engine/adapter.py`,
      gpuUuids: [GPU],
      readOnlyMounts: [],
      exchangeDir,
      allowNetwork: false,
      sessionId: `test-${crypto.randomUUID().slice(0, 8)}`,
      env: { LLEM_TEST_VISIBLE: "plain" },
      secretsFile: secrets.path,
    }, { workDir, hostDir });
  } finally {
    for (const name of Object.keys(host)) Deno.env.delete(name);
    secrets.remove();
    Deno.removeSync(root, { recursive: true });
  }
}

apptainerTest(
  "an apptainer session says hello, serves a window with the test engine, and stops cleanly",
  async (run) => {
    await withLaunch(async (launch, { workDir }) => {
      const started = apptainerArgv(launch, { image: run.sif, workDir, program: run.program });
      const session = await HarnessSession.start(started.argv, {
        limits: { helloTimeoutMs: 120_000, silenceTimeoutMs: 0, stopGraceMs: 10_000 },
        spawn: { env: started.env, inherit: started.inherit },
      });
      try {
        assert.equal(session.hello.protocol, PROTOCOL_VERSION);
        // The engine loads only if its environment is exactly what llem chose, and nothing of the host's.
        const expect_env = {
          CUDA_VISIBLE_DEVICES: GPU,
          HF_HUB_OFFLINE: "1",
          TRANSFORMERS_OFFLINE: "1",
          LLEM_TEST_VISIBLE: "plain",
          LLEM_LEAKED: null,
          LLEM_HOST_ONLY: null,
          PYTHONPATH: null,
        };
        const digest = Array.from(
          new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET))),
          (b) => b.toString(16).padStart(2, "0"),
        ).join("");
        await session.request(
          {
            type: "configure",
            model: "test/model",
            engine_options: {
              ttft_s: 0.002,
              token_s: 0.001,
              expect_env,
              expect_env_sha256: { HF_TOKEN: digest },
            },
            dtype: "bfloat16",
            seed: 0,
          },
          "loaded",
          60_000,
        );
        await session.request({ type: "prepare", window_id: "w1", workload: TEST_WORKLOAD }, "ready", 30_000);
        await session.request({ type: "go", window_id: "w1" }, "finished", 30_000);
        const done = await session.expect("done", 30_000);
        assert.equal(done.requests.length, 4);
        assert.equal(await session.stop(), 0);
      } finally {
        if (session.exitCode === null) await session.kill();
      }
    });
  },
);

/** Run `body` with a marker file of a unique name in this user's home folder on the host, then remove it. */
async function withHomeMarker(body: (name: string) => Promise<void>): Promise<void> {
  const name = `.llem-apptainer-test-${crypto.randomUUID().slice(0, 8)}`;
  const path = join(Deno.env.get("HOME") ?? "/nonexistent", name);
  Deno.writeTextFileSync(path, "the host's home");
  try {
    await body(name);
  } finally {
    Deno.removeSync(path);
  }
}

/** What a process inside the container sees, as JSON. */
const LOOK_INSIDE = `
import json, os, sys
home = os.path.expanduser("~")
def writable(path):
    try:
        with open(os.path.join(path, "written"), "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
print(json.dumps({
    "interfaces": [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]],
    "environment": sorted(os.environ),
    "home": home,
    "home_entries": sorted(os.listdir(home)) if os.path.isdir(home) else None,
    "host_dir_seen": os.path.exists(sys.argv[1]),
    "tmp_writable": writable("/tmp"),
    "harness_writable": writable("/llem/engines"),
    "exchange_writable": writable("/llem/exchange"),
}))
`;

apptainerTest(
  "an apptainer container has no network, home, working directory, binds or variables of the host's",
  async (run) => {
    await withLaunch((launch, { workDir, hostDir }) =>
      withHomeMarker(async (marker) => {
        const { argv, env, inherit } = apptainerArgv(launch, {
          image: run.sif,
          workDir,
          program: run.program,
        });
        // The session's options, with a look inside in place of the harness; started in a folder of the host's.
        const look = [
          ...argv.slice(0, argv.indexOf(run.sif) + 1),
          "python3",
          "-c",
          LOOK_INSIDE,
          join(hostDir, "marker"),
        ];
        const result = await runProgram(look, { env, inherit, cwd: hostDir, timeoutMs: 120_000 });
        assert.equal(result.code, 0, result.stderr);
        const inside = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
        assert.deepEqual(inside.interfaces, ["lo"], "--net --network none");
        assert.equal(
          inside.host_dir_seen,
          false,
          "neither the working directory nor APPTAINER_BIND is mounted",
        );
        for (const name of ["LLEM_LEAKED", "LLEM_HOST_ONLY", "PYTHONPATH", "HF_TOKEN"]) {
          assert.ok(!inside.environment.includes(name), `${name} reached the container`);
        }
        assert.ok(inside.environment.includes("LLEM_SECRETS_FILE"), "the secret's file path, not the secret");
        assert.equal(inside.tmp_writable, true);
        assert.equal(inside.exchange_writable, true);
        assert.equal(inside.harness_writable, false, "the harness is bound read-only");
        // /tmp and $HOME are the session's work folder on disk, not the host's.
        const onHost = [...Deno.readDirSync(workDir)].map((e) => e.name);
        assert.ok(
          onHost.length > 0,
          `--workdir holds the container's /tmp (found ${JSON.stringify(onHost)})`,
        );
        assert.ok(
          !(inside.home_entries ?? []).includes(marker),
          `$HOME inside (${inside.home}) is the host's`,
        );
      })
    );
  },
);
