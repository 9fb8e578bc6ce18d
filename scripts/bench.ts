/**
 * Benchmarks (not timed tests): `llem --help` start-up, `llem plan` (text and --json) on a 10,000-point study and on a file
 * of 240,000 keys, each as the median of several runs in fresh processes. Prints a table with targets and
 * median/target ratios.
 *   deno task bench [--runs N]
 */
const repo = new URL("../", import.meta.url).pathname;
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 9;
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env"];

const study = `name: bench-10k
model: gpt2
sweep:
  generation.batch_size: {min: 1, max: 100, num: 100}
  generation.max_new_tokens: {min: 1, max: 100, num: 100}
`;

async function wallMs(args: string[]): Promise<number> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), { args, cwd: repo, stdout: "null", stderr: "piped" })
    .output();
  const elapsed = performance.now() - started;
  if (!output.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return elapsed;
}

async function peakKib(args: string[]): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success || !stdout.trim()) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const report = JSON.parse(stdout) as { code: number; peak_kib: number };
  if (report.code !== 0) throw new Error(`plan exited ${report.code}`);
  return report.peak_kib;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function repeat(fn: () => Promise<number>): Promise<number[]> {
  await fn(); // warm the module cache; not counted
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await fn());
  return samples;
}

const dir = await Deno.makeTempDir({ prefix: "llem-bench-" });
try {
  const studyPath = `${dir}/bench-10k.yaml`;
  await Deno.writeTextFile(studyPath, study);
  // 240,000 keys in one free-form mapping (4.6 MB): a quadratic duplicate-key check never finished it.
  const manyKeysPath = `${dir}/many-keys.yaml`;
  const manyKeys = Array.from({ length: 240_000 }, (_, i) => `    k${i}: ${i}\n`).join("");
  await Deno.writeTextFile(manyKeysPath, `model: gpt2\ntransformers:\n  extra:\n${manyKeys}`);
  const main = `${repo}main.ts`;
  const rows = [
    {
      name: "llem --help, wall",
      unit: "ms",
      target: 150,
      samples: await repeat(() => wallMs(["run", ...PERMISSIONS, main, "--help"])),
    },
    {
      name: "llem plan 10,000 points, wall",
      unit: "ms",
      target: 1000,
      samples: await repeat(() => wallMs(["run", ...PERMISSIONS, main, "plan", studyPath])),
    },
    {
      name: "llem plan 240,000 keys in one mapping, wall",
      unit: "ms",
      target: 5000,
      samples: await repeat(() => wallMs(["run", ...PERMISSIONS, main, "plan", manyKeysPath])),
    },
    {
      name: "llem plan --json 10,000 points, peak RSS",
      unit: "MB",
      target: 200,
      samples: (await repeat(() =>
        peakKib(["run", "--allow-all", `${repo}scripts/_plan_peak_memory.ts`, studyPath, "--json"])
      )).map((kib) =>
        kib / 1024
      ),
    },
    {
      name: "llem plan 10,000 points, peak RSS",
      unit: "MB",
      target: 200,
      samples: (await repeat(() =>
        peakKib(["run", "--allow-all", `${repo}scripts/_plan_peak_memory.ts`, studyPath])
      )).map((kib) => kib / 1024),
    },
  ];
  const header = ["benchmark", "runs", "median", "min", "max", "target", "median/target"];
  const table = rows.map((r) => {
    const m = median(r.samples);
    const fmt = (v: number) => `${v.toFixed(0)} ${r.unit}`;
    return [
      r.name,
      String(r.samples.length),
      fmt(m),
      fmt(Math.min(...r.samples)),
      fmt(Math.max(...r.samples)),
      `< ${r.target} ${r.unit}`,
      `${(m / r.target).toFixed(2)}${m < r.target ? "" : "  OVER"}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(
    `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs; medians of ${RUNS} fresh processes`,
  );
  console.log(line(header));
  for (const row of table) console.log(line(row));
} finally {
  await Deno.remove(dir, { recursive: true });
}
