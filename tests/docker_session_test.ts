/**
 * Real sessions through the docker runner: the Python harness and the test engine, mounted read-only
 * into the test image built by scripts/ci_docker.sh (Debian minbase + python3, no registry), every
 * failure mode the test engine can produce, the container's confinement, and no container left behind.
 *
 * Needs a Docker daemon and the image named in build/docker_test_image; without them every test is
 * listed as ignored with a "SKIPPED (...)" name, so the skip shows in the output.
 */
import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../src/engines/harness_protocol.ts";
import { CONTAINER_PIDS_LIMIT, containerRemoveArgv, dockerArgv } from "../src/runners/container_argv.ts";
import { containerUser } from "../src/runners/container_user.ts";
import { type HarnessLaunch, LLEM_LABEL } from "../src/runners/harness_launch.ts";
import { HarnessSession, SessionError, type SessionLimits } from "../src/runners/harness_session.ts";
import { containerCheckArgv } from "../src/runners/readiness_argv.ts";
import { runProgram } from "../src/runners/run_program.ts";
import { tmpDirOf } from "../src/runners/llem_runtime_dir.ts";
import { writeSecretsFile } from "../src/runners/secrets_file.ts";
import { dockerTest } from "./docker_test_image.ts";
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
 * The uid:gid the engine runs as, by the runner's rule: the invoking user's ids, or nobody (65534) when
 * llem runs as root (as CI does), so "not root inside" is exercised either way.
 */
const hostUid = Deno.uid() ?? 0;
const hostGid = Deno.gid() ?? 0;
const engineUser = containerUser(hostUid, hostGid);
const [engineUid, engineGid] = engineUser.split(":").map(Number) as [number, number];

interface Started {
  session: HarnessSession;
  sessionId: string;
  name: string;
  argv: string[];
  exchangeDir: string;
}

function sessionArgv(launch: HarnessLaunch, image: string, name: string): string[] {
  return dockerArgv(launch, {
    image,
    user: engineUser,
    shmSize: "64m",
    containerName: name,
    memoryLimit: "512m",
  });
}

/** Start a session in a container, configure the test engine, and run `body`; always clean up. */
async function withSession(
  image: string,
  options: Record<string, unknown>,
  body: (started: Started) => Promise<void>,
  settings: { limits?: Partial<SessionLimits>; secret?: boolean } = {},
): Promise<void> {
  const sessionId = `test-${crypto.randomUUID().slice(0, 12)}`;
  const name = `llem-${sessionId}`;
  const exchangeDir = Deno.makeTempDirSync({ prefix: "llem-docker-test-" });
  const owner = hostUid === engineUid ? null : { uid: engineUid, gid: engineGid };
  if (owner) Deno.chownSync(exchangeDir, owner.uid, owner.gid);
  const secrets = settings.secret
    ? writeSecretsFile({ HF_TOKEN: SECRET }, { tmpDir: tmpDirOf(Deno.env.toObject()), owner })
    : null;
  const argv = sessionArgv(
    {
      engine: "test",
      harnessDir: `${repo}engines`,
      adapterPath: `${repo}engines/test_engine/adapter.py`,
      gpuUuids: [],
      readOnlyMounts: [],
      exchangeDir,
      allowNetwork: false,
      sessionId,
      env: { LLEM_TEST_VISIBLE: "plain" },
      ...(secrets ? { secretsFile: secrets.path } : {}),
    },
    image,
    name,
  );
  let session: HarnessSession | null = null;
  try {
    session = await HarnessSession.start(argv, {
      limits: { helloTimeoutMs: 30_000, silenceTimeoutMs: 0, stopGraceMs: 10_000, ...settings.limits },
      afterKill: containerRemoveArgv("docker", name),
    });
    await session.request(
      { type: "configure", model: "test/model", engine_options: options, dtype: "bfloat16", seed: 0 },
      "loaded",
      20_000,
    );
    await body({ session, sessionId, name, argv, exchangeDir });
  } finally {
    if (session && session.exitCode === null) await session.kill();
    await removeContainers(sessionId);
    Deno.removeSync(exchangeDir, { recursive: true });
    secrets?.remove();
  }
}

/** Names of the containers carrying this session's label, running or not. */
async function containersOf(sessionId: string): Promise<string[]> {
  const listed = await output([
    "docker",
    "ps",
    "--all",
    "--filter",
    `label=${LLEM_LABEL}=${sessionId}`,
    "--format",
    "{{.Names}}",
  ]);
  return listed.split("\n").filter(Boolean);
}

/**
 * Remove this session's containers (other sessions' are kept), and wait until they are gone: a `--rm`
 * container whose client was killed may be in the middle of its own removal, when `docker rm --force`
 * fails with "removal already in progress".
 */
async function removeContainers(sessionId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let left = await containersOf(sessionId);
  while (left.length > 0 && Date.now() < deadline) {
    await runProgram(["docker", "rm", "--force", ...left], { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await containersOf(sessionId);
  }
  assert.deepEqual(left, [], `a container of session ${sessionId} remains`);
}

/** The parts of `docker inspect` the tests read. */
interface ContainerInfo {
  Path: string;
  Args: string[];
  State: { Running: boolean };
  Config: { User: string; Env: string[]; Cmd: string[] | null; Labels: Record<string, string> };
  HostConfig: {
    NetworkMode: string;
    CapDrop: string[] | null;
    SecurityOpt: string[] | null;
    ShmSize: number;
    DeviceRequests: unknown[] | null;
    ReadonlyRootfs: boolean;
    Memory: number;
    MemorySwap: number;
    Tmpfs: Record<string, string> | null;
    PidsLimit: number | null;
  };
  Mounts: { Destination: string; RW: boolean }[];
}

async function inspect(name: string): Promise<ContainerInfo> {
  const [container] = JSON.parse(await output(["docker", "inspect", name])) as ContainerInfo[];
  assert.ok(container);
  return container;
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

async function window(session: HarnessSession, id: string, deadlineMs = 10_000) {
  await session.request({ type: "prepare", window_id: id, workload: WORKLOAD }, "ready", deadlineMs);
  await session.request({ type: "go", window_id: id }, "finished", deadlineMs);
  return await session.expect("done", deadlineMs);
}

dockerTest(
  "a docker session says hello, serves windows with per-request records, and stops cleanly",
  async (image) => {
    await withSession(image, { ttft_s: 0.002, token_s: 0.001 }, async ({ session, sessionId }) => {
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
      // `docker run --rm` returns only once the container is removed.
      assert.deepEqual(await containersOf(sessionId), []);
    });
  },
);

dockerTest(
  "an engine that exits mid-window in a container ends the session with its exit code",
  async (image) => {
    await withSession(image, { fail: "exit_mid_window" }, async ({ session, sessionId }) => {
      await assert.rejects(
        () => window(session, "w"),
        (e: unknown) => e instanceof SessionError && e.failure === "exited" && e.exitCode === 3,
      );
      assert.deepEqual(await containersOf(sessionId), []);
    });
  },
);

dockerTest("an engine killed as if out of memory in a container reports 137", async (image) => {
  await withSession(image, { fail: "oom" }, async ({ session, sessionId }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) => e instanceof SessionError && e.exitCode === 137 && /out of memory/.test(e.message),
    );
    assert.deepEqual(await containersOf(sessionId), []);
  });
});

dockerTest(
  "a hanging engine in a container is killed at the deadline, or sooner by the silence watchdog",
  async (image) => {
    await withSession(image, { fail: "hang" }, async ({ session, sessionId }) => {
      await assert.rejects(
        () => window(session, "w", 1_500),
        (e: unknown) => e instanceof SessionError && e.failure === "timeout",
      );
      assert.notEqual(session.exitCode, null);
      // Killing the `docker run` client does not stop the container; the session's afterKill
      // (`docker rm --force NAME`) does, before kill() returns.
      assert.deepEqual(await containersOf(sessionId), [], "the hanging engine's container outlived the kill");
    });
    await withSession(image, { fail: "hang" }, async ({ session }) => {
      await assert.rejects(
        () => window(session, "w", 60_000),
        (e: unknown) => e instanceof SessionError && e.failure === "silent",
      );
    }, { limits: { silenceTimeoutMs: 500 } });
  },
);

dockerTest("garbage and out-of-order messages from a container are protocol violations", async (image) => {
  await withSession(image, { fail: "garbage" }, async ({ session }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) => e instanceof SessionError && e.failure === "protocol" && /not JSON/.test(e.message),
    );
  });
  await withSession(image, { fail: "out_of_order" }, async ({ session }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) =>
        e instanceof SessionError && e.failure === "protocol" &&
        /expected finished after go, got ready/.test(e.message),
    );
  });
});

dockerTest(
  "a container session's engine runs with the Hugging Face offline switches (it loads only if so)",
  async (image) => {
    const expect_env = { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", LLEM_TEST_VISIBLE: "plain" };
    await withSession(image, { expect_env }, async ({ session }) => {
      assert.equal(await session.stop(), 0);
    });
  },
);

dockerTest(
  "a container for an image Docker does not have fails at once: llem's runs never pull",
  async () => {
    const absent = `llem-test-absent:${crypto.randomUUID().slice(0, 8)}`;
    const started = Date.now();
    const result = await runProgram(
      containerCheckArgv("docker", { image: absent, gpuUuids: [], user: engineUser }),
      {
        timeoutMs: 60_000,
      },
    );
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stderr, /Unable to find image .* locally|Pulling/i, "docker tried to pull");
    assert.ok(Date.now() - started < 30_000);
  },
);

dockerTest("a harness error arrives typed from a container, with its traceback", async (image) => {
  await withSession(image, { fail: "raise" }, async ({ session }) => {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) =>
        e instanceof SessionError && e.failure === "harness_error" &&
        e.harnessError?.error_type === "RuntimeError" && /Traceback/.test(e.harnessError.traceback),
    );
  });
});

dockerTest(
  "the container is confined: not root, no network, no capabilities, no new privileges, read-only code and root",
  async (image) => {
    await withSession(image, {}, async ({ session, sessionId, name }) => {
      const container = await inspect(name);
      assert.equal(container.Config.User, engineUser);
      assert.equal(container.Config.Labels[LLEM_LABEL], sessionId);
      assert.equal(container.HostConfig.NetworkMode, "none");
      assert.ok(container.HostConfig.CapDrop?.includes("ALL"), JSON.stringify(container.HostConfig.CapDrop));
      assert.ok(container.HostConfig.SecurityOpt?.includes("no-new-privileges"));
      assert.equal(container.HostConfig.ShmSize, 64 * 1024 * 1024);
      assert.ok(!container.HostConfig.DeviceRequests?.length, "no GPUs asked for");
      const mounts = Object.fromEntries(
        container.Mounts.map((m) => [m.Destination, m.RW]),
      );
      assert.deepEqual(mounts, {
        "/llem/engines": false,
        "/llem/adapter/adapter.py": false,
        "/llem/exchange": true,
      });
      // Seen from inside: every process (docker-init, the harness, this exec) runs with the given ids,
      // no effective capabilities and no_new_privs.
      const [uid, gid] = engineUser.split(":");
      assert.notEqual(uid, "0");
      const processes = (await output(["docker", "exec", name, "python3", "-c", PROCESSES])).split("\n")
        .map((line) => line.split(" "));
      assert.ok(processes.some(([, command]) => command === "python3"), JSON.stringify(processes));
      for (const [pid, command, procUid, procGid, capEff, noNewPrivs] of processes) {
        assert.deepEqual(
          [procUid, procGid, capEff, noNewPrivs],
          [uid, gid, "0000000000000000", "1"],
          `${pid} ${command}`,
        );
      }
      const interfaces = (await output(["docker", "exec", name, "cat", "/proc/net/dev"])).split("\n").slice(2)
        .map((line) => line.trim().split(":")[0]);
      assert.deepEqual(interfaces, ["lo"]);
      const write = await runProgram(["docker", "exec", name, "touch", "/llem/engines/written"], {
        timeoutMs: 10_000,
      });
      assert.notEqual(write.code, 0, "the harness folder is writable from the container");
      // A read-only root filesystem: only /tmp (a tmpfs whose files may run: compilers load what they
      // build there), the exchange folder and shared memory take writes; and a pids limit.
      assert.equal(container.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(Object.keys(container.HostConfig.Tmpfs ?? {}), ["/tmp"]);
      assert.equal(container.HostConfig.PidsLimit, CONTAINER_PIDS_LIMIT);
      assert.deepEqual([container.HostConfig.Memory, container.HostConfig.MemorySwap], [
        512 * 2 ** 20,
        512 * 2 ** 20,
      ]);
      const root = await runProgram(["docker", "exec", name, "sh", "-c", "touch /var/written"], {
        timeoutMs: 10_000,
      });
      assert.match(root.stderr, /Read-only file system/);
      await output([
        "docker",
        "exec",
        name,
        "sh",
        "-c",
        "cp /bin/true /tmp/t && /tmp/t && touch /llem/exchange/w",
      ]);
      assert.equal(await session.stop(), 0);
    });
  },
);

dockerTest(
  "a secret reaches the engine by a mounted file: never in argv, docker inspect, the log or the exchange",
  async (image) => {
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET))),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    // The test engine fails configure unless HF_TOKEN in its environment has this digest.
    await withSession(
      image,
      { expect_env_sha256: { HF_TOKEN: digest } },
      async ({ session, name, argv, exchangeDir }) => {
        assert.ok(!argv.some((arg) => arg.includes(SECRET)));
        const inspected = await output(["docker", "inspect", name]);
        assert.ok(!inspected.includes(SECRET), "docker inspect shows the secret");
        const container = await inspect(name);
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
);

dockerTest(
  "without --init the engine is PID 1, and a signal it sends itself is ignored (why --init)",
  async (image) => {
    const script =
      "import os, signal, time; os.kill(os.getpid(), signal.SIGKILL); time.sleep(0.2); print(os.getpid())";
    const label = `${LLEM_LABEL}=test-init-${crypto.randomUUID().slice(0, 8)}`;
    const plain = await runProgram([
      "docker",
      "run",
      "--rm",
      "--label",
      label,
      "--network",
      "none",
      image,
      "python3",
      "-c",
      script,
    ], {
      timeoutMs: 30_000,
    });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.trim(), "1");
    const init = await runProgram([
      "docker",
      "run",
      "--rm",
      "--init",
      "--label",
      label,
      "--network",
      "none",
      image,
      "python3",
      "-c",
      script,
    ], {
      timeoutMs: 30_000,
    });
    assert.equal(init.code, 137);
  },
);
