/**
 * `llem run` killed with SIGKILL while its engine is busy in a long call (it cannot clean up): nothing of
 * the engine may keep running (on a GPU it would hold the GPU's memory), and the next llem removes the
 * session files it left (the exchange folder, the secrets file with HF_TOKEN) and its labelled containers.
 * llem runs as a separate process, the way a user runs it; the engine is the test engine in the harness.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LLEM_LABEL } from "../src/runners/harness_launch.ts";
import { removeContainers } from "../src/runners/remove_containers.ts";
import { runProgram } from "../src/runners/run_program.ts";
import {
  asRuntimeUser,
  containerTest,
  type ContainerTestRuntime,
  runtimeArgv,
  testRuntimes,
} from "./container_test_runtime.ts";
import { LLEM_PERMISSIONS } from "./llem_permissions.ts";
import { until, untilGone } from "./process_gone.ts";
import {
  asStudyUser,
  experimentYaml,
  llem,
  manifestOf,
  POWER_W,
  run,
  type Study,
  studyDirs,
  withStudy,
} from "./study_fixture.ts";

const repo = new URL("../", import.meta.url).pathname;

const SECRET = "hf_secretOfTheKilledLlemTest0123";

/** Every path under `dir`, relative to it. */
function walk(dir: string, prefix = ""): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) => {
    const path = join(prefix, entry.name);
    return entry.isDirectory ? [path, ...walk(join(dir, entry.name), path)] : [path];
  });
}

/** Read `llem run --json` events until one matches; false when llem ends first. */
async function untilEvent(
  reader: ReadableStreamDefaultReader<string>,
  matches: (event: { type: string; phase?: string }) => boolean,
): Promise<boolean> {
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    if (lines.some((line) => line.trim() && matches(JSON.parse(line)))) return true;
  }
}

/**
 * Point llem's temporary files at a folder of the study (to see what is left there), give it HF_TOKEN, and
 * write a config whose engine starts a worker process and hangs in its first call until `cured` exists;
 * on the host, it writes its pids to `pidFile`. A Hub model id with the network allowed: the one case
 * where HF_TOKEN is handed to the engine.
 */
function hangingStudy(
  study: Study,
  container: ContainerTestRuntime | null = null,
): { pidFile: string; cured: string; tmp: string } {
  const tmp = join(study.dir, "tmp");
  Deno.mkdirSync(tmp);
  study.env.TMPDIR = tmp;
  study.env.HF_TOKEN = SECRET;
  const paths = { pidFile: join(study.dir, "engine.pids"), cured: join(study.dir, "cured"), tmp };
  const engine =
    `{ttft_s: 0.005, token_s: 0.005, fail: hang, fail_unless: ${paths.cured}, spawn_worker: true` +
    (container ? "}" : `, pid_file: ${paths.pidFile}}`);
  const yaml = experimentYaml("test/model", "allow_network: true", engine);
  Deno.writeTextFileSync(
    study.file,
    container
      ? yaml.replace("runner: process", `runner: ${container.runtime}\nimage: ${container.image}`)
      : yaml,
  );
  return paths;
}

Deno.test("kill -9 of llem leaves no engine process running; the next llem removes its session files", async () => {
  await withStudy(() => "", async (study) => {
    const paths = hangingStudy(study);
    const child = llem(["run", study.file, "-o", "results", "--json"], study);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const busy = await untilEvent(reader, (e) => e.type === "phase" && e.phase === "warmup");
    assert.ok(busy, "llem ended before its engine was busy");
    const pids = JSON.parse(Deno.readTextFileSync(paths.pidFile)) as { harness: number; worker: number };
    const during = walk(paths.tmp);
    assert.ok(during.some((p) => p.endsWith("secrets.env")), `no secrets file while running: ${during}`);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    await child.stderr.cancel();
    // The engine (busy in a call that never returns) and its worker end with llem, within seconds.
    await untilGone([pids.harness, pids.worker], 15);
    const [dir] = studyDirs(study);
    assert.equal(manifestOf(dir!).status, "running", "a killed llem cannot mark its manifest");
    Deno.writeTextFileSync(paths.cured, "");
    const resumed = await run(["run", study.file, "-o", "results", "--resume"], study);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.equal(manifestOf(dir!).status, "completed");
    // The resumed run's engine left in order; its worker, which never exits by itself, ended with it.
    const again = JSON.parse(Deno.readTextFileSync(paths.pidFile)) as { harness: number; worker: number };
    assert.notEqual(again.worker, pids.worker);
    await untilGone([again.harness, again.worker], 15);
    const left = walk(paths.tmp).filter((p) => /secrets|exchange/.test(p));
    assert.deepEqual(left, [], "the killed llem's session files outlived the next run");
  });
});

/** Containers carrying llem's session label, running or not. */
async function llemContainers(runtime: ContainerTestRuntime): Promise<string[]> {
  const listed = await runProgram(
    runtimeArgv(runtime, ["ps", "--all", "--quiet", "--no-trunc", "--filter", `label=${LLEM_LABEL}`]),
    { timeoutMs: 30_000 },
  );
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout.split("\n").filter(Boolean);
}

/** The stand-in's first GPU with its default UUID, which Podman's stand-in CDI spec names. */
const SCENARIO = `gpu.0.power = const:${POWER_W}\n`;

containerTest(
  "kill -9 of llem while its engine is busy in a container leaves no container running",
  async (runtime) => {
    const before = new Set(await llemContainers(runtime));
    await withStudy(() => "", async (study) => {
      hangingStudy(study, runtime);
      await asRuntimeUser(runtime, study);
      const child = llem(["run", study.file, "-o", "results", "--json"], study);
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const busy = await untilEvent(reader, (e) => e.type === "phase" && e.phase === "warmup");
      assert.ok(busy, "llem ended before its engine was busy");
      const ours = (await llemContainers(runtime)).filter((id) => !before.has(id));
      assert.equal(ours.length, 1, "one session container");
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      await child.stderr.cancel();
      try {
        // Its client's stdin closes with llem; the busy harness sees that, and the container ends.
        await until(async () => !(await llemContainers(runtime)).includes(ours[0]!), {
          seconds: 20,
          what: "the killed llem's container still runs",
        });
      } finally {
        for (const id of ours) {
          await runProgram(runtimeArgv(runtime, ["rm", "--force", id]), { timeoutMs: 30_000 });
        }
      }
    }, SCENARIO);
  },
  { gpus: true },
);

/** Start a stand-in llem with a container (tests/stand_in_llem.ts): it, its container's id, its output. */
async function standIn(
  study: Study,
  options: { runtime: ContainerTestRuntime; session: string; hostname?: string; tmpDir?: string },
): Promise<{ child: Deno.ChildProcess; container: string; output: ReadableStreamDefaultReader<string> }> {
  const env = { ...study.env, ...(options.tmpDir ? { TMPDIR: options.tmpDir } : {}) };
  const [program, ...args] = asStudyUser(
    [
      Deno.execPath(),
      "run",
      ...LLEM_PERMISSIONS,
      `${repo}tests/stand_in_llem.ts`,
      options.runtime.runtime,
      options.runtime.image,
      options.session,
      ...(options.hostname ? [options.hostname] : []),
    ],
    study,
    env,
  );
  const child = new Deno.Command(program!, {
    args,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the stand-in llem ended without starting its container");
    text += value;
  }
  return { child, container: text.trim(), output: reader };
}

containerTest(
  "llem run first removes the containers of a killed llem, and keeps a running one's and another host's",
  async (runtime) => {
    await withStudy((model) => experimentYaml(model), async (study) => {
      const tmp = join(study.dir, "tmp");
      const privateTmp = join(study.dir, "private-tmp");
      Deno.mkdirSync(tmp);
      Deno.mkdirSync(privateTmp);
      study.env.TMPDIR = tmp;
      await asRuntimeUser(runtime, study);
      const killed = await standIn(study, { runtime, session: "reap-killed" });
      const running = await standIn(study, { runtime, session: "reap-running" });
      const elsewhere = await standIn(study, {
        runtime,
        session: "reap-elsewhere",
        hostname: "another-host",
      });
      // A running llem whose /tmp this one cannot see (a Slurm job's private /tmp, same daemon and host).
      const hidden = await standIn(study, { runtime, session: "reap-hidden", tmpDir: privateTmp });
      // Invisible to the llem below, as it would be behind a private mount: its record is gone from here.
      Deno.removeSync(privateTmp, { recursive: true });
      const all = [killed, running, elsewhere, hidden];
      try {
        killed.child.kill("SIGKILL");
        await killed.child.status;
        elsewhere.child.kill("SIGKILL");
        await elsewhere.child.status;
        const result = await run(["run", study.file, "-o", "results"], study);
        assert.equal(result.code, 0, result.stderr + result.stdout);
        const left = await llemContainers(runtime);
        assert.ok(!left.includes(killed.container), "the killed llem's container was not removed");
        assert.ok(left.includes(running.container), "a running llem's container was removed");
        assert.ok(left.includes(elsewhere.container), "another machine's container was removed");
        assert.ok(left.includes(hidden.container), "a running llem with a private /tmp lost its container");
      } finally {
        for (const { child, output } of all) {
          try {
            child.kill("SIGKILL");
          } catch { /* already killed */ }
          await child.status;
          await output.cancel();
        }
        // One at a time: Podman's rm of several removes none when one is gone (the killed llem's is).
        for (const { container } of all) {
          await runProgram(runtimeArgv(runtime, ["rm", "--force", container]), { timeoutMs: 30_000 });
        }
      }
    });
  },
);

containerTest(
  "removeContainers() removes every container it is given, even when one of them is already gone",
  async (runtime) => {
    // Podman 4.3's `rm --force A B` removes neither, and exits 0, when B no longer exists: a reaper that
    // removed a killed llem's containers in one call kept them all whenever one had just removed itself.
    const started = await runProgram(
      runtimeArgv(runtime, ["run", "--detach", "--network", "none", runtime.image, "sleep", "300"]),
      { timeoutMs: 60_000 },
    );
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    try {
      const gone = "0".repeat(64);
      assert.deepEqual(await removeContainers(runtime.runtime, [gone, id]), [gone, id]);
      const left = await runProgram(runtimeArgv(runtime, ["ps", "--all", "--quiet", "--no-trunc"]), {
        timeoutMs: 30_000,
      });
      assert.ok(!left.stdout.includes(id), "the container is still there");
    } finally {
      await runProgram(runtimeArgv(runtime, ["rm", "--force", id]), { timeoutMs: 30_000 });
    }
  },
  // removeContainers() runs the runtime as the tests' own user.
  { runtimes: testRuntimes("docker", "podman") },
);
