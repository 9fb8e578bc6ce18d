/**
 * Session benchmark with the process runner and, where a Docker daemon and the CI test image
 * (build/docker_test_image, made by scripts/ci_docker.sh) are present, the Docker runner; test engine,
 * no GPU. Measures start to `hello`, per-window protocol overhead (prepare -> ready -> go -> done with a
 * zero-work workload), and the window-edge skew: from the harness's last token (its wall clock) to the
 * host's closing read.
 *   deno run -A scripts/bench_session.ts [--windows 200] [--sessions 9]
 */
import { containerRemoveArgv, dockerArgv } from "../src/runners/container_argv.ts";
import { containerUser } from "../src/runners/container_user.ts";
import { processArgv } from "../src/runners/process_argv.ts";
import { HarnessSession } from "../src/runners/harness_session.ts";
import { runProgram } from "../src/runners/run_program.ts";

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

const launch = {
  engine: "test",
  harnessDir: `${repo}engines`,
  adapterPath: `${repo}engines/test_engine/adapter.py`,
  gpuUuids: [],
  readOnlyMounts: [],
  exchangeDir: Deno.makeTempDirSync(),
  allowNetwork: false,
  sessionId: "bench",
  env: {},
};

interface Runner {
  name: string;
  argv: (session: number) => string[];
  env: Record<string, string>;
  afterKill?: (session: number) => string[];
}

const runners: Runner[] = [];
const processLaunch = processArgv(launch);
runners.push({ name: "process", argv: () => processLaunch.argv, env: processLaunch.env });

const image = (() => {
  try {
    return Deno.readTextFileSync(`${repo}build/docker_test_image`).trim();
  } catch {
    return null;
  }
})();
const daemon = image ? await runProgram(["docker", "image", "inspect", image], { timeoutMs: 10_000 }) : null;
if (image && daemon?.code === 0) {
  const user = containerUser(Deno.uid() ?? 0, Deno.gid() ?? 0);
  if (user.startsWith("65534")) Deno.chmodSync(launch.exchangeDir, 0o777);
  const name = (session: number) => `llem-bench-${Deno.pid}-${session}`;
  runners.push({
    name: "docker",
    argv: (session) =>
      dockerArgv({ ...launch, sessionId: `bench-${Deno.pid}` }, {
        image,
        host: { uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0 },
        shmSize: "64m",
        containerName: name(session),
      }),
    env: {},
    afterKill: (session) => containerRemoveArgv("docker", name(session)),
  });
} else {
  console.log("docker runner: skipped (no daemon or no test image; run scripts/ci_docker.sh as root)");
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: string[][] = [];
for (const runner of runners) {
  const hello: number[] = [];
  const overhead: number[] = [];
  const skew: number[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    const started = performance.now();
    const afterKill = runner.afterKill?.(s);
    const session = await HarnessSession.start(runner.argv(s), {
      spawn: { env: runner.env },
      ...(afterKill ? { afterKill } : {}),
    });
    hello.push(performance.now() - started);
    await session.request(
      {
        type: "configure",
        model: "m",
        engine_options: { ttft_s: 0, token_s: 0 },
        dtype: "bfloat16",
        seed: 0,
      },
      "loaded",
      10_000,
    );
    for (let w = 0; w < WINDOWS / SESSIONS; w++) {
      const begin = performance.now();
      await session.request({ type: "prepare", window_id: `w${w}`, workload }, "ready", 10_000);
      await session.request({ type: "go", window_id: `w${w}` }, "finished", 10_000);
      const closedUnixMs = performance.timeOrigin + performance.now();
      const done = await session.expect("done", 10_000);
      const end = performance.now();
      // Work inside the harness (adapter run) is not protocol overhead.
      overhead.push(end - begin - (done.finished_s - done.started_s) * 1000);
      if (done.finished_unix_s !== undefined) skew.push(closedUnixMs - done.finished_unix_s * 1000);
    }
    await session.stop();
  }
  rows.push([
    runner.name,
    `${median(hello).toFixed(1)} ms`,
    `${median(overhead).toFixed(3)} ms`,
    `${median(skew).toFixed(3)} ms`,
    `${overhead.length}`,
  ]);
}
Deno.removeSync(launch.exchangeDir, { recursive: true });

console.log(`\nSessions with the test engine; medians over ${SESSIONS} sessions per runner`);
const header = ["runner", "start to hello", "window overhead (< 5 ms)", "edge skew (< 1 ms)", "windows"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const row of rows) console.log(line(row));

// Window-edge skew by payload, through the process runner, with the closing counter read included (the
// NVML stand-in's, when built: build/fake_nvml, else no read): from the harness's last token (its wall
// clock) to the host's closing read, taken on `finished` (protocol 2), against where protocol 1 took it,
// after the whole `done` line with the records had arrived.
const standIn = `${repo}build/fake_nvml/libnvidia-ml.so.1`;
let readCounter = () => {};
let gpuSystem: { close(): void } | null = null;
try {
  const { openNvmlGpuSystem } = await import("../src/gpu/nvml_gpu_system.ts");
  const system = openNvmlGpuSystem(standIn);
  gpuSystem = system;
  readCounter = () => void system.gpus[0]?.readEnergyJoules();
} catch {
  console.log(
    `\nedge skew: no NVML stand-in at ${standIn} (bash scripts/build_fake_nvml.sh): no counter read`,
  );
}
const payloadRows: string[][] = [];
for (const [requests, profiling] of [[1, false], [1, true], [100, false], [100, true]] as const) {
  const onFinished: number[] = [];
  const afterDone: number[] = [];
  const session = await HarnessSession.start(processLaunch.argv, { spawn: { env: processLaunch.env } });
  await session.request(
    { type: "configure", model: "m", engine_options: { ttft_s: 0, token_s: 0 }, dtype: "bfloat16", seed: 0 },
    "loaded",
    10_000,
  );
  const load = {
    ...workload,
    prompts: Array.from({ length: requests }, (_, i) => `prompt ${i}`),
    batch_size: requests,
    max_new_tokens: 64,
    latency_profiling: profiling,
  };
  for (let w = 0; w < 30; w++) {
    await session.request({ type: "prepare", window_id: `p${w}`, workload: load }, "ready", 10_000);
    const finished = await session.request({ type: "go", window_id: `p${w}` }, "finished", 10_000);
    readCounter();
    onFinished.push(performance.timeOrigin + performance.now() - finished.finished_unix_s * 1000);
    await session.expect("done", 10_000);
    readCounter();
    afterDone.push(performance.timeOrigin + performance.now() - finished.finished_unix_s * 1000);
  }
  await session.stop();
  const [now, then] = [median(onFinished), median(afterDone)];
  payloadRows.push([
    `${requests}`,
    profiling ? "yes" : "no",
    `${now.toFixed(3)} ms`,
    `${then.toFixed(3)} ms`,
    `${(now / then).toFixed(2)}`,
  ]);
}
gpuSystem?.close();
console.log(
  "\nWindow-edge skew by payload (process runner, 30 windows each, 64 tokens per request, medians)",
);
const payloadHeader = [
  "requests",
  "latency profiling",
  "closing read on finished (< 1 ms)",
  "after done",
  "ratio",
];
const payloadWidths = payloadHeader.map((h, i) =>
  Math.max(h.length, ...payloadRows.map((row) => row[i]!.length))
);
const payloadLine = (cells: string[]) =>
  `| ${cells.map((cell, i) => cell.padEnd(payloadWidths[i]!)).join(" | ")} |`;
console.log(payloadLine(payloadHeader));
console.log(`| ${payloadWidths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const row of payloadRows) console.log(payloadLine(row));
