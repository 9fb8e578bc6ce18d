/**
 * On a machine with an NVIDIA GPU: run `llem gpus`, `doctor`, `monitor` and `baseline` against the real
 * driver, then measure what the README's verification section needs to state: the energy counter's
 * update period, and how the instantaneous power field and the plain power reading behave.
 *   deno run -A scripts/gpu_probe.ts [--seconds 3] [--nvml-library PATH]
 * Prints findings as text and, last, one JSON line; it asserts nothing about the numbers.
 */
import { NvmlLibrary } from "../ffi/nvml_library.ts";
import { NVML_FIELD } from "../ffi/nvml_symbols.ts";
import { nvmlLibraryPath } from "../src/gpu/nvml_gpu_system.ts";

const args = Deno.args;
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(option("--seconds") ?? 3);
const libraryPath = nvmlLibraryPath(option("--nvml-library"), Deno.env.toObject());
const repo = new URL("../", import.meta.url).pathname;

async function llem(...command: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${repo}main.ts`, ...command, "--nvml-library", libraryPath],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

for (
  const command of [["gpus"], ["doctor"], ["monitor", "--duration", "3", "--interval", "100", "--json"], [
    "baseline",
    "--duration",
    "10",
    "--force",
  ]]
) {
  const result = await llem(...command);
  console.log(`$ llem ${command.join(" ")}   (exit ${result.code})`);
  const out = command[0] === "monitor"
    ? result.stdout.split("\n").slice(0, 3).join("\n") + "\n..."
    : result.stdout;
  console.log(out.trimEnd());
  if (result.stderr.trim()) console.log(result.stderr.trimEnd());
  console.log();
}

const nvml = NvmlLibrary.open(libraryPath);
nvml.init();
const findings: Record<string, unknown>[] = [];
try {
  const count = nvml.deviceGetCount();
  for (let index = 0; index < count; index++) {
    const device = nvml.deviceGetHandleByIndex(index);
    const name = nvml.deviceGetName(device);
    // Poll the counter as fast as possible and note when it changes: its update period.
    const changes: number[] = [];
    const instant: number[] = [];
    const usage: number[] = [];
    let previous = nvml.deviceGetTotalEnergyConsumption(device);
    const end = performance.now() + seconds * 1000;
    let polls = 0;
    while (performance.now() < end) {
      const value = nvml.deviceGetTotalEnergyConsumption(device);
      polls += 1;
      if (value !== previous) {
        changes.push(performance.now());
        previous = value;
      }
      if (polls % 50 === 0) {
        const [field] = nvml.deviceGetFieldValues(device, [NVML_FIELD.POWER_INSTANT]);
        if (field!.nvmlReturn === 0) instant.push(field!.value / 1000);
        usage.push(nvml.deviceGetPowerUsage(device) / 1000);
      }
    }
    const gaps = changes.slice(1).map((t, i) => t - changes[i]!).sort((a, b) => a - b);
    const median = (values: number[]) => values.length ? values[Math.floor(values.length / 2)]! : null;
    const spread = (values: number[]) => values.length ? Math.max(...values) - Math.min(...values) : null;
    const finding = {
      index,
      name,
      polls_per_second: polls / seconds,
      counter_changes: changes.length,
      counter_update_period_ms_median: median(gaps),
      instant_power_field_supported: instant.length > 0,
      instant_power_w_median: median([...instant].sort((a, b) => a - b)),
      instant_power_w_spread: spread(instant),
      power_usage_w_median: median([...usage].sort((a, b) => a - b)),
      power_usage_w_spread: spread(usage),
    };
    findings.push(finding);
    console.log(
      `GPU ${index} ${name}: energy counter changed ${changes.length} times in ${seconds} s ` +
        `(median period ${finding.counter_update_period_ms_median?.toFixed(2) ?? "n/a"} ms, ` +
        `${finding.polls_per_second.toFixed(0)} polls/s); instant power field ` +
        `${
          finding.instant_power_field_supported
            ? `median ${finding.instant_power_w_median} W, spread ${finding.instant_power_w_spread} W`
            : "not supported"
        }; ` +
        `power usage median ${finding.power_usage_w_median} W, spread ${finding.power_usage_w_spread} W`,
    );
  }
} finally {
  nvml.shutdown();
  nvml.close();
}
console.log(JSON.stringify({ library: libraryPath, findings }));
