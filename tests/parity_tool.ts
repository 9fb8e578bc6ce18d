/** What a parity script under scripts/parity/ made (a Python, a wheel): its path, or null when absent. */
const repo = new URL("../", import.meta.url).pathname;

export function parityTool(script: string): string | null {
  const found = new Deno.Command("bash", {
    args: [`${repo}scripts/parity/${script}`, "--check"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return found.success ? new TextDecoder().decode(found.stdout).trim().split("\n").at(-1)! : null;
}
