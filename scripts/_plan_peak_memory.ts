// Runs `llem plan` in-process, output discarded, then prints this process's peak resident memory
// (VmHWM from /proc/self/status, Linux; Deno reads /proc/self only with --allow-all) in kibibytes.
// Used by scripts/bench.ts.
import { runCli } from "../src/cli/run_cli.ts";

const code = await runCli(["plan", ...Deno.args], { out: () => {}, err: () => {}, env: {}, cwd: Deno.cwd() });
const status = Deno.readTextFileSync("/proc/self/status");
const peak = status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? "0";
console.log(JSON.stringify({ code, peak_kib: Number(peak) }));
