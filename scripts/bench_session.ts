/**
 * Session benchmark with the process runner and the test engine (no GPU): time from start to `hello`,
 * per-window protocol overhead (prepare -> ready -> go -> done with a zero-work workload), and the
 * window-edge skew: from the harness's last token (its wall clock) to the host's closing read.
 *   deno run -A scripts/bench_session.ts [--windows 200] [--sessions 9]
 */
import { processArgv } from "../src/runners/harness_argv.ts";
import { HarnessSession } from "../src/runners/harness_session.ts";

const repo = new URL("../", import.meta.url).pathname;
const option = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
};
const WINDOWS = option("--windows", 200);
const SESSIONS = option("--sessions", 9);

const workload = {
  prompts: ["x"],
  batch_size: 1,
  max_new_tokens: 1,
  max_input_tokens: null,
  ignore_eos: true,
  decoding: { temperature: 0, top_p: 1, top_k: 0, repetition_penalty: 1, seed: 0 },
  latency_profiling: false,
};

const { argv, env } = processArgv({
  engine: "test",
  harnessDir: `${repo}engines`,
  adapterPath: `${repo}tests/test_engine/adapter.py`,
  gpuUuids: [],
  readOnlyMounts: [],
  exchangeDir: Deno.makeTempDirSync(),
  allowNetwork: false,
  sessionId: "bench",
  env: {},
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const hello: number[] = [];
const overhead: number[] = [];
const skew: number[] = [];
for (let s = 0; s < SESSIONS; s++) {
  const started = performance.now();
  const session = await HarnessSession.start(argv, { spawn: { env } });
  hello.push(performance.now() - started);
  await session.request(
    { type: "configure", model: "m", engine_options: { ttft_s: 0, token_s: 0 }, dtype: "bfloat16", seed: 0 },
    "loaded",
    10_000,
  );
  for (let w = 0; w < WINDOWS / SESSIONS; w++) {
    const begin = performance.now();
    await session.request({ type: "prepare", window_id: `w${w}`, workload }, "ready", 10_000);
    const done = await session.request({ type: "go", window_id: `w${w}` }, "done", 10_000);
    const closedUnixMs = performance.timeOrigin + performance.now();
    const end = performance.now();
    // Work inside the harness (adapter run) is not protocol overhead.
    overhead.push(end - begin - (done.finished_s - done.started_s) * 1000);
    if (done.finished_unix_s !== undefined) skew.push(closedUnixMs - done.finished_unix_s * 1000);
  }
  await session.stop();
}
console.log(`process runner, test engine; medians over ${SESSIONS} sessions and ${overhead.length} windows`);
console.log("measure                          median     target");
console.log(`start to hello                   ${median(hello).toFixed(1).padStart(7)} ms`);
console.log(`per-window protocol overhead     ${median(overhead).toFixed(3).padStart(7)} ms  < 5 ms`);
console.log(`window-edge skew (last token to  ${median(skew).toFixed(3).padStart(7)} ms  < 1 ms`);
console.log(`  host's closing read)`);
