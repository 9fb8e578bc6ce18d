/**
 * Real sessions through the process runner: the Python harness with the test engine, every failure
 * mode the test engine can produce, and no process left behind.
 */
import assert from "node:assert/strict";
import { processArgv } from "../src/runners/process_argv.ts";
import { PROTOCOL_VERSION } from "../src/engines/harness_protocol.ts";
import { HarnessSession, SessionError } from "../src/runners/harness_session.ts";
import { processGone, untilGone } from "./process_gone.ts";
import { TEST_WORKLOAD } from "./test_workload.ts";

const repo = new URL("../", import.meta.url).pathname;
const WORKLOAD = TEST_WORKLOAD;

async function start(options: Record<string, unknown> = {}, limits = {}) {
  const exchangeDir = Deno.makeTempDirSync();
  const { argv, env } = processArgv({
    engine: "test",
    harnessDir: `${repo}engines`,
    adapterPath: `${repo}engines/test_engine/adapter.py`,
    gpuUuids: [],
    readOnlyMounts: [],
    exchangeDir,
    allowNetwork: false,
    sessionId: "t",
    env: {},
  });
  const session = await HarnessSession.start(argv, {
    limits: { helloTimeoutMs: 10_000, silenceTimeoutMs: 0, stopGraceMs: 2000, ...limits },
    spawn: { env },
  });
  await session.request(
    { type: "configure", model: "test/model", engine_options: options, dtype: "bfloat16", seed: 0 },
    "loaded",
    10_000,
  );
  return { session, cleanup: () => Deno.removeSync(exchangeDir, { recursive: true }) };
}

async function window(session: HarnessSession, id: string, deadlineMs = 10_000) {
  await session.request({ type: "prepare", window_id: id, workload: WORKLOAD }, "ready", deadlineMs);
  await session.request({ type: "go", window_id: id }, "finished", deadlineMs);
  return await session.expect("done", deadlineMs);
}

Deno.test("a process session says hello, serves windows with per-request records, and stops cleanly", async () => {
  const { session, cleanup } = await start({ ttft_s: 0.002, token_s: 0.001 });
  try {
    assert.equal(session.hello.engine_version, "test-engine 1.0");
    assert.equal(session.hello.protocol, PROTOCOL_VERSION);
    const done = await window(session, "w1");
    assert.equal(done.requests.length, 4);
    assert.ok(done.requests.every((r) => r.output_tokens === 4 && r.input_tokens === 6));
    const again = await window(session, "w2");
    assert.equal(again.window_id, "w2");
    assert.equal(await session.stop(), 0);
  } finally {
    cleanup();
  }
});

Deno.test("a process session's engine runs with the Hugging Face offline switches (it loads only if so)", async () => {
  // The test engine refuses to load unless its environment has exactly these values.
  const { session, cleanup } = await start({
    expect_env: { HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" },
  });
  try {
    assert.equal(await session.stop(), 0);
  } finally {
    cleanup();
  }
});

Deno.test("an engine that exits mid-window ends the session with its exit code and log", async () => {
  const { session, cleanup } = await start({ fail: "exit_mid_window" });
  try {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) => e instanceof SessionError && e.failure === "exited" && e.exitCode === 3,
    );
  } finally {
    cleanup();
  }
});

Deno.test("an engine killed as if out of memory reports 137", async () => {
  const { session, cleanup } = await start({ fail: "oom" });
  try {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) => e instanceof SessionError && e.exitCode === 137 && /out of memory/.test(e.message),
    );
  } finally {
    cleanup();
  }
});

Deno.test("a hanging engine is killed at the deadline, or sooner by the silence watchdog", async () => {
  const first = await start({ fail: "hang" });
  try {
    await assert.rejects(
      () => window(first.session, "w", 500),
      (e: unknown) => e instanceof SessionError && e.failure === "timeout",
    );
    assert.notEqual(first.session.exitCode, null);
  } finally {
    first.cleanup();
  }
  const second = await start({ fail: "hang" }, { silenceTimeoutMs: 300 });
  try {
    await assert.rejects(
      () => window(second.session, "w", 60_000),
      (e: unknown) => e instanceof SessionError && e.failure === "silent",
    );
  } finally {
    second.cleanup();
  }
});

Deno.test("garbage and out-of-order messages are protocol violations that end the session", async () => {
  const garbage = await start({ fail: "garbage" });
  try {
    await assert.rejects(
      () => window(garbage.session, "w"),
      (e: unknown) => e instanceof SessionError && e.failure === "protocol" && /not JSON/.test(e.message),
    );
  } finally {
    garbage.cleanup();
  }
  const disorder = await start({ fail: "out_of_order" });
  try {
    await assert.rejects(
      () => window(disorder.session, "w"),
      (e: unknown) =>
        e instanceof SessionError && e.failure === "protocol" &&
        /expected finished after go, got ready/.test(e.message),
    );
  } finally {
    disorder.cleanup();
  }
});

Deno.test("a harness error arrives typed, with its traceback", async () => {
  const { session, cleanup } = await start({ fail: "raise" });
  try {
    await assert.rejects(
      () => window(session, "w"),
      (e: unknown) =>
        e instanceof SessionError && e.failure === "harness_error" &&
        e.harnessError?.error_type === "RuntimeError" &&
        /Traceback/.test(e.harnessError.traceback),
    );
  } finally {
    cleanup();
  }
});

Deno.test("a load failure is a harness error, and the session can be stopped", async () => {
  await assert.rejects(
    () => start({ fail: "load" }),
    (e: unknown) =>
      e instanceof SessionError && e.failure === "harness_error" &&
      /asked to fail while loading/.test(e.message),
  );
});

Deno.test("a missing Python is a clear start error", async () => {
  await assert.rejects(
    () => HarnessSession.start(["/nonexistent/python3", "harness.py"]),
    /cannot start \/nonexistent\/python3: it is not installed/,
  );
});

Deno.test("kill() ends the harness's whole process group: an engine's worker processes too", async () => {
  const exchangeDir = Deno.makeTempDirSync();
  try {
    const pidFile = `${exchangeDir}/pids.json`;
    const { session, cleanup } = await start({ fail: "hang", spawn_worker: true, pid_file: pidFile });
    try {
      const pids = JSON.parse(Deno.readTextFileSync(pidFile)) as { harness: number; worker: number };
      await session.send({ type: "prepare", window_id: "w", workload: WORKLOAD });
      assert.equal((await session.receive(10_000)).type, "ready");
      await session.send({ type: "go", window_id: "w" });
      assert.equal(await processGone(pids.worker), false);
      assert.equal(await session.kill(), 137);
      await untilGone([pids.harness, pids.worker], 10);
    } finally {
      cleanup();
    }
  } finally {
    Deno.removeSync(exchangeDir, { recursive: true });
  }
});
