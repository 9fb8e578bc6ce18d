/**
 * Real sessions through the container runners, once per runtime (tests/container_test_runtime.ts: Docker,
 * Podman rootful, Podman rootless): the Python harness and the test engine, mounted read-only into the
 * test image of scripts/ci_test_rootfs.sh (Debian minbase + python3, no registry), every failure mode the
 * test engine can produce, the container's confinement, the GPUs it is given, and no container left behind.
 *
 * A runtime that is not here (no daemon, no podman, no test image: scripts/ci_docker.sh and
 * scripts/ci_podman.sh make them) lists its tests as ignored with a "SKIPPED (...)" name, so the skip
 * shows in the output.
 */
import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../src/engines/harness_protocol.ts";
import { standInDeviceNode, standInGpuVariable } from "../scripts/stand_in_cdi_spec.ts";
import {
  CONTAINER_PIDS_LIMIT,
  containerRemoveArgv,
  dockerArgv,
  podmanArgv,
} from "../src/runners/container_argv.ts";
import { containerIds, containerUser } from "../src/runners/container_user.ts";
import { type HarnessLaunch, LLEM_LABEL } from "../src/runners/harness_launch.ts";
import { HarnessSession, SessionError, type SessionLimits } from "../src/runners/harness_session.ts";
import { containerCheckArgv } from "../src/runners/readiness_argv.ts";
import { runProgram } from "../src/runners/run_program.ts";
import { tmpDirOf } from "../src/runners/llem_runtime_dir.ts";
import { writeSecretsFile } from "../src/runners/secrets_file.ts";
import { checkContainerGpus } from "../src/study/check_runner.ts";
import {
  containerTest,
  type ContainerTestRuntime,
  limitsDropped,
  runtimeArgv,
  standInGpus,
  testRuntimes,
} from "./container_test_runtime.ts";
import { TEST_WORKLOAD } from "./test_workload.ts";

const repo = new URL("../", import.meta.url).pathname;
const WORKLOAD = TEST_WORKLOAD;
const SECRET = "hf_secretTokenForTheDockerTest0123";

async function output(argv: string[]): Promise<string> {
  const result = await runProgram(argv, { timeoutMs: 30_000 });
  assert.equal(result.code, 0, `${argv.join(" ")}: ${result.stderr || result.startError}`);
  return result.stdout.trim();
}

/**
 * The uid:gid the engine runs as, by the runner's rule: the ids of the user llem runs as, or nobody
 * (65534) when llem runs as root (as CI does), so "not root inside" is exercised either way.
 */
function engineUser(runtime: ContainerTestRuntime): string {
  return containerUser(runtime.host.uid, runtime.host.gid);
}

interface Started {
  session: HarnessSession;
  sessionId: string;
  name: string;
  argv: string[];
  exchangeDir: string;
}

/** The session's argv as llem builds it for this runtime, run as the runtime's user. */
function sessionArgv(runtime: ContainerTestRuntime, launch: HarnessLaunch, name: string): string[] {
  const options = {
    image: runtime.image,
    host: runtime.host,
    shmSize: "64m",
    containerName: name,
    memoryLimit: "512m",
  };
  const argv = runtime.runtime === "docker" ? dockerArgv(launch, options) : podmanArgv(launch, options);
  return [...runtime.asUser, ...argv];
}

/** Start a session in a container, configure the test engine, and run `body`; always clean up. */
async function withSession(
  runtime: ContainerTestRuntime,
  options: Record<string, unknown>,
  body: (started: Started) => Promise<void>,
  settings: { limits?: Partial<SessionLimits>; secret?: boolean; gpuUuids?: string[] } = {},
): Promise<void> {
  const sessionId = `test-${crypto.randomUUID().slice(0, 12)}`;
  const name = `llem-${sessionId}`;
  const exchangeDir = Deno.makeTempDirSync({ prefix: "llem-container-test-" });
  // As llem's session files do: the engine's ids own the exchange folder when they are not these tests'.
  const engine = containerIds(runtime.host.uid, runtime.host.gid);
  const owner = engine.uid === Deno.uid() ? null : engine;
  if (owner) Deno.chownSync(exchangeDir, owner.uid, owner.gid);
  const secrets = settings.secret
    ? writeSecretsFile({ HF_TOKEN: SECRET }, { tmpDir: tmpDirOf(Deno.env.toObject()), owner })
    : null;
  const argv = sessionArgv(runtime, {
    engine: "test",
    harnessDir: `${repo}engines`,
    adapterPath: `${repo}engines/test_engine/adapter.py`,
    gpuUuids: settings.gpuUuids ?? [],
    readOnlyMounts: [],
    exchangeDir,
    allowNetwork: false,
    sessionId,
    env: { LLEM_TEST_VISIBLE: "plain" },
    ...(secrets ? { secretsFile: secrets.path } : {}),
  }, name);
  let session: HarnessSession | null = null;
  try {
    session = await HarnessSession.start(argv, {
      limits: { helloTimeoutMs: 30_000, silenceTimeoutMs: 0, stopGraceMs: 10_000, ...settings.limits },
      afterKill: [...runtime.asUser, ...containerRemoveArgv(runtime.runtime, name)],
    });
    await session.request(
      { type: "configure", model: "test/model", engine_options: options, dtype: "bfloat16", seed: 0 },
      "loaded",
      20_000,
    );
    await body({ session, sessionId, name, argv, exchangeDir });
  } finally {
    if (session && session.exitCode === null) await session.kill();
    await removeSessionContainers(runtime, sessionId);
    Deno.removeSync(exchangeDir, { recursive: true });
    secrets?.remove();
  }
}

/** Names of the containers carrying this session's label, running or not. */
async function containersOf(runtime: ContainerTestRuntime, sessionId: string): Promise<string[]> {
  const listed = await output(
    runtimeArgv(runtime, [
      "ps",
      "--all",
      "--filter",
      `label=${LLEM_LABEL}=${sessionId}`,
      "--format",
      "{{.Names}}",
    ]),
  );
  return listed.split("\n").filter(Boolean);
}

/**
 * Remove this session's containers (other sessions' are kept), and wait until they are gone: a `--rm`
 * container whose client was killed may be in the middle of its own removal, when `docker rm --force`
 * fails with "removal already in progress".
 */
async function removeSessionContainers(runtime: ContainerTestRuntime, sessionId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let left = await containersOf(runtime, sessionId);
  while (left.length > 0 && Date.now() < deadline) {
    // One at a time: Podman's rm of several removes none when one of them is gone meanwhile.
    for (const name of left) {
      await runProgram(runtimeArgv(runtime, ["rm", "--force", name]), { timeoutMs: 30_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await containersOf(runtime, sessionId);
  }
  assert.deepEqual(left, [], `a container of session ${sessionId} remains`);
}

/** The parts of `docker inspect` and `podman inspect` the tests read (both spell these alike). */
interface ContainerInfo {
  Config: { User: string; Env: string[]; Labels: Record<string, string> };
  HostConfig: {
    NetworkMode: string;
    SecurityOpt: string[] | null;
    ShmSize: number;
    ReadonlyRootfs: boolean;
    Memory: number;
    MemorySwap: number;
    Tmpfs: Record<string, string> | null;
    PidsLimit: number | null;
  };
  Mounts: { Destination: string; RW: boolean }[];
}

async function inspect(runtime: ContainerTestRuntime, name: string): Promise<ContainerInfo> {
  const [container] = JSON.parse(await output(runtimeArgv(runtime, ["inspect", name]))) as ContainerInfo[];
  assert.ok(container);
  return container;
}

/** argv running `command` inside the container `name`, as the container's user. */
function exec(runtime: ContainerTestRuntime, name: string, command: string[]): string[] {
  return runtimeArgv(runtime, ["exec", name, ...command]);
}

/** Every process in the container: name, real uid and gid, effective capabilities, no_new_privs. */
const PROCESSES = `
import os
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        fields = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid).read().splitlines() if ":" in l)
    except OSError:
        continue
    print(pid, fields["Name"].strip(), fields["Uid"].split()[0], fields["Gid"].split()[0],
          fields["CapEff"].strip(), fields["NoNewPrivs"].strip())
`;

/**
 * The limits the kernel enforces on the container, read from its own cgroup (v1 or v2) inside it: memory
 * in bytes, and the task limit.
 */
const CGROUP_LIMITS = `
import os
def first(*paths):
    for path in paths:
        if os.path.exists(path):
            return open(path).read().strip()
    return "none"
print(first("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
      first("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max"))
`;

async function window(session: HarnessSession, id: string, deadlineMs = 10_000) {
  await session.request({ type: "prepare", window_id: id, workload: WORKLOAD }, "ready", deadlineMs);
  await session.request({ type: "go", window_id: id }, "finished", deadlineMs);
  return await session.expect("done", deadlineMs);
}

containerTest(
  "a session says hello, serves windows with per-request records, and stops cleanly",
  async (runtime) => {
    await withSession(runtime, { ttft_s: 0.002, token_s: 0.001 }, async ({ session, sessionId }) => {
      assert.equal(session.hello.engine_version, "test-engine 1.0");
      assert.equal(session.hello.protocol, PROTOCOL_VERSION);
      assert.match(session.hello.python, /^3\.\d+\.\d+$/);
      const done = await window(session, "w1");
      assert.equal(done.window_id, "w1");
      assert.equal(done.requests.length, 4);
      assert.deepEqual(done.requests.map((r) => r.index), [0, 1, 2, 3]);
      for (const r of done.requests) {
        assert.equal(r.output_tokens, 4);
        assert.equal(r.input_tokens, 6);
        assert.ok(r.start_s <= r.first_token_s! && r.first_token_s! <= r.end_s);
      }
      const again = await window(session, "w2");
      assert.equal(again.window_id, "w2");
      assert.equal(again.requests.length, 4);
      assert.equal(await session.stop(), 0);
      // `run --rm` returns only once the container is removed.
      assert.deepEqual(await containersOf(runtime, sessionId), []);
    });
  },
);

containerTest(
  "an engine that exits mid-window in a container ends the session with its exit code",
  async (runtime) => {
    await withSession(runtime, { fail: "exit_mid_window" }, async ({ session, sessionId }) => {
      await assert.rejects(
        () => window(session, "w"),
        (e: unknown) => e instanceof SessionError && e.failure === "exited" && e.exitCode === 3,
      );
      assert.deepEqual(await containersOf(runtime, sessionId), []);
    });
  },
);

containerTest("an engine killed as if out of memory in a container reports 137", async (runtime) => {
  await withSession(runtime, { fail: "oom" }, async ({ session, sessionId }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) => e instanceof SessionError && e.exitCode === 137 && /out of memory/.test(e.message),
    );
    assert.deepEqual(await containersOf(runtime, sessionId), []);
  });
});

containerTest(
  "a hanging engine in a container is killed at the deadline, or sooner by the silence watchdog",
  async (runtime) => {
    await withSession(runtime, { fail: "hang" }, async ({ session, sessionId }) => {
      await assert.rejects(
        () => window(session, "w", 1_500),
        (e: unknown) => e instanceof SessionError && e.failure === "timeout",
      );
      assert.notEqual(session.exitCode, null);
      // Killing the `run` client does not stop the container; the session's afterKill
      // (`rm --force NAME`) does, before kill() returns.
      assert.deepEqual(
        await containersOf(runtime, sessionId),
        [],
        "the hanging engine's container outlived the kill",
      );
    });
    await withSession(runtime, { fail: "hang" }, async ({ session }) => {
      await assert.rejects(
        () => window(session, "w", 60_000),
        (e: unknown) => e instanceof SessionError && e.failure === "silent",
      );
    }, { limits: { silenceTimeoutMs: 500 } });
  },
);

containerTest(
  "garbage and out-of-order messages from a container are protocol violations",
  async (runtime) => {
    await withSession(runtime, { fail: "garbage" }, async ({ session }) => {
      await assert.rejects(
        () => window(session, "w"),
        (e: unknown) => e instanceof SessionError && e.failure === "protocol" && /not JSON/.test(e.message),
      );
    });
    await withSession(runtime, { fail: "out_of_order" }, async ({ session }) => {
      await assert.rejects(
        () => window(session, "w"),
        (e: unknown) =>
          e instanceof SessionError && e.failure === "protocol" &&
          /expected finished after go, got ready/.test(e.message),
      );
    });
  },
);

containerTest(
  "a container session's engine runs with the Hugging Face offline switches (it loads only if so)",
  async (runtime) => {
    const expect_env = { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", LLEM_TEST_VISIBLE: "plain" };
    await withSession(runtime, { expect_env }, async ({ session }) => {
      assert.equal(await session.stop(), 0);
    });
  },
);

containerTest(
  "a container for an image the runtime does not have fails at once: llem's runs never pull",
  async (runtime) => {
    const absent = `llem-test-absent:${crypto.randomUUID().slice(0, 8)}`;
    const started = Date.now();
    const argv = containerCheckArgv(runtime.runtime, { image: absent, gpuUuids: [], host: runtime.host });
    const result = await runProgram([...runtime.asUser, ...argv], { timeoutMs: 60_000 });
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(
      result.stderr,
      /Unable to find image .* locally|Pulling|Trying to pull|Resolving/i,
      `${runtime.runtime} tried to pull`,
    );
    assert.ok(Date.now() - started < 30_000);
  },
);

containerTest("a harness error arrives typed from a container, with its traceback", async (runtime) => {
  await withSession(runtime, { fail: "raise" }, async ({ session }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) =>
        e instanceof SessionError && e.failure === "harness_error" &&
        e.harnessError?.error_type === "RuntimeError" && /Traceback/.test(e.harnessError.traceback),
    );
  });
});

containerTest(
  "the container is confined: not root, no network, no capabilities, no new privileges, read-only code and root",
  async (runtime) => {
    await withSession(runtime, {}, async ({ session, sessionId, name }) => {
      const user = engineUser(runtime);
      const container = await inspect(runtime, name);
      assert.equal(container.Config.User, user);
      assert.equal(container.Config.Labels[LLEM_LABEL], sessionId);
      assert.equal(container.HostConfig.NetworkMode, "none");
      assert.ok(container.HostConfig.SecurityOpt?.includes("no-new-privileges"));
      assert.equal(container.HostConfig.ShmSize, 64 * 1024 * 1024);
      const mounts = Object.fromEntries(container.Mounts.map((m) => [m.Destination, m.RW]));
      assert.deepEqual(mounts, {
        "/llem/engines": false,
        "/llem/adapter/adapter.py": false,
        "/llem/exchange": true,
      });
      // Seen from inside: every process (the init, the harness, this exec) runs with the given ids, no
      // effective capabilities and no_new_privs.
      const [uid, gid] = user.split(":");
      assert.notEqual(uid, "0");
      const processes = (await output(exec(runtime, name, ["python3", "-c", PROCESSES]))).split("\n")
        .map((line) => line.split(" "));
      assert.ok(processes.some(([, command]) => command === "python3"), JSON.stringify(processes));
      for (const [pid, command, procUid, procGid, capEff, noNewPrivs] of processes) {
        assert.deepEqual(
          [procUid, procGid, capEff, noNewPrivs],
          [uid, gid, "0000000000000000", "1"],
          `${pid} ${command}`,
        );
      }
      const interfaces = (await output(exec(runtime, name, ["cat", "/proc/net/dev"]))).split("\n").slice(2)
        .map((line) => line.trim().split(":")[0]);
      assert.deepEqual(interfaces, ["lo"]);
      const write = await runProgram(exec(runtime, name, ["touch", "/llem/engines/written"]), {
        timeoutMs: 10_000,
      });
      assert.notEqual(write.code, 0, "the harness folder is writable from the container");
      // A read-only root filesystem: only /tmp (a tmpfs whose files may run: compilers load what they
      // build there), the exchange folder and shared memory take writes; a pids and a memory limit.
      assert.equal(container.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(Object.keys(container.HostConfig.Tmpfs ?? {}), ["/tmp"]);
      // What the kernel enforces, not only what the runtime recorded. Rootless Podman on cgroups v1 has no
      // cgroup to enforce them with, and drops both, saying only "Resource limits are not supported and
      // ignored on cgroups V1 rootless systems": llem's doctor and preflight say so instead.
      const limits = (await output(exec(runtime, name, ["python3", "-c", CGROUP_LIMITS]))).split(" ");
      const enforced = [String(512 * 2 ** 20), String(CONTAINER_PIDS_LIMIT)];
      if (limitsDropped(runtime)) {
        assert.notDeepEqual(limits, enforced);
        assert.equal(container.HostConfig.PidsLimit, 0);
      } else {
        assert.deepEqual(limits, enforced);
        assert.equal(container.HostConfig.PidsLimit, CONTAINER_PIDS_LIMIT);
        assert.deepEqual([container.HostConfig.Memory, container.HostConfig.MemorySwap], [
          512 * 2 ** 20,
          512 * 2 ** 20,
        ]);
      }
      const root = await runProgram(exec(runtime, name, ["sh", "-c", "touch /var/written"]), {
        timeoutMs: 10_000,
      });
      assert.match(root.stderr, /Read-only file system/);
      await output(
        exec(runtime, name, ["sh", "-c", "cp /bin/true /tmp/t && /tmp/t && touch /llem/exchange/w"]),
      );
      assert.equal(await session.stop(), 0);
    });
  },
);

containerTest(
  "a secret reaches the engine by a mounted file: never in argv, inspect, the log or the exchange",
  async (runtime) => {
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET))),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    // The test engine fails configure unless HF_TOKEN in its environment has this digest.
    await withSession(
      runtime,
      { expect_env_sha256: { HF_TOKEN: digest } },
      async ({ session, name, argv, exchangeDir }) => {
        assert.ok(!argv.some((arg) => arg.includes(SECRET)));
        const inspected = await output(runtimeArgv(runtime, ["inspect", name]));
        assert.ok(!inspected.includes(SECRET), "inspect shows the secret");
        const container = await inspect(runtime, name);
        assert.ok(container.Config.Env.includes("LLEM_TEST_VISIBLE=plain"));
        assert.ok(container.Config.Env.includes("LLEM_SECRETS_FILE=/llem/secrets.env"));
        assert.equal(container.Mounts.find((m) => m.Destination === "/llem/secrets.env")?.RW, false);
        await window(session, "w");
        assert.equal(await session.stop(), 0);
        assert.ok(!session.logTail().includes(SECRET));
        for (const entry of Deno.readDirSync(exchangeDir)) {
          if (entry.isFile) {
            assert.ok(
              !Deno.readTextFileSync(`${exchangeDir}/${entry.name}`).includes(SECRET),
            );
          }
        }
      },
      { secret: true },
    );
  },
  // The secrets file lives in the private folder of the user llem runs as; these tests run as root, and
  // the rootless user cannot reach root's folder to mount the file from it.
  { runtimes: testRuntimes("docker", "podman") },
);

/** The environment of the harness inside a container (what the engine sees), one NAME=value a line. */
const HARNESS_ENV = `
import os
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    try:
        if b"harness.py" in open("/proc/%s/cmdline" % pid, "rb").read():
            print(open("/proc/%s/environ" % pid, "rb").read().decode().replace("\\0", "\\n"))
            break
    except OSError:
        continue
`;

/**
 * The GPUs a container was given, as seen from inside it: Docker's toolkit hook acts on the engine's
 * NVIDIA_VISIBLE_DEVICES (the stand-in hook mounts nothing); Podman's CDI spec adds each GPU's device node,
 * and the stand-in spec names its UUID in a variable beside it (scripts/stand_in_cdi_spec.ts).
 */
async function gpusInside(runtime: ContainerTestRuntime, name: string, uuids: string[]): Promise<string[]> {
  const env = Object.fromEntries(
    (await output(exec(runtime, name, ["python3", "-c", HARNESS_ENV]))).split("\n").filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
  assert.ok(env.LLEM_EXCHANGE_DIR, "the harness's environment was read");
  if (runtime.runtime === "docker") return env.NVIDIA_VISIBLE_DEVICES?.split(",").filter(Boolean) ?? [];
  const nodes = (await output(exec(runtime, name, ["ls", "/dev"]))).split("\n");
  const seen = uuids.flatMap((uuid, index) => {
    const node = nodes.includes(standInDeviceNode(index).slice("/dev/".length));
    assert.equal(node, env[standInGpuVariable(index)] === uuid, `GPU ${index}: its node and its variable`);
    return node ? [uuid] : [];
  });
  // With a GPU, NVIDIA_VISIBLE_DEVICES=void (as nvidia-ctk's spec says): the toolkit's hook must not add any.
  assert.equal(env.NVIDIA_VISIBLE_DEVICES, seen.length ? "void" : undefined);
  return seen;
}

containerTest(
  "a container is given exactly the selected GPUs, by UUID (Docker: --gpus; Podman: CDI)",
  async (runtime) => {
    const uuids = await standInGpus();
    for (const selected of [[uuids[0]!], [uuids[1]!, uuids[3]!], []]) {
      await withSession(runtime, {}, async ({ session, name }) => {
        assert.deepEqual(await gpusInside(runtime, name, uuids), selected);
        assert.equal(await session.stop(), 0);
      }, { gpuUuids: selected });
    }
  },
  { gpus: true },
);

containerTest(
  "preflight's check container fails on a GPU the runtime does not know, saying how to fix it",
  async (runtime) => {
    const problem = await checkContainerGpus(runtime.runtime, {
      image: runtime.image,
      uuids: ["GPU-00000000-0000-4000-8000-000000000000"],
      host: runtime.host,
      shmSize: "64m",
      tmpDir: tmpDirOf(Deno.env.toObject()),
    });
    assert.equal(problem?.check, "container_gpus", JSON.stringify(problem));
    assert.match(
      problem.message,
      /podman cannot give a container GPUs GPU-00000000-.*unresolvable CDI devices/,
    );
    assert.match(problem.fix, /nvidia-ctk cdi generate/);
  },
  // Podman resolves GPUs through CDI specs, which name every device; Docker's stand-in hook takes any
  // UUID (the real toolkit refuses an unknown one when the container starts). The check runs podman as
  // the tests' own user.
  { gpus: true, runtimes: testRuntimes("podman") },
);

containerTest(
  "without --init the engine is PID 1, and a signal it sends itself is ignored (why --init)",
  async (runtime) => {
    const script =
      "import os, signal, time; os.kill(os.getpid(), signal.SIGKILL); time.sleep(0.2); print(os.getpid())";
    const label = `${LLEM_LABEL}=test-init-${crypto.randomUUID().slice(0, 8)}`;
    const runArgv = (init: string[]) =>
      runtimeArgv(runtime, [
        "run",
        "--rm",
        ...init,
        "--label",
        label,
        "--network",
        "none",
        runtime.image,
        "python3",
        "-c",
        script,
      ]);
    const plain = await runProgram(runArgv([]), { timeoutMs: 30_000 });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.trim(), "1");
    const init = await runProgram(runArgv(["--init"]), { timeoutMs: 30_000 });
    assert.equal(init.code, 137, init.stderr);
  },
);
