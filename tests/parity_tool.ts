/**
 * What a setup script under scripts/ made (a Python, a wheel, a source tree), asked with its `--check`: its
 * path, or null when absent.
 */
const repo = new URL("../", import.meta.url).pathname;

export function parityTool(script: string, folder = "scripts/parity"): string | null {
  const found = new Deno.Command("bash", {
    args: [`${repo}${folder}/${script}`, "--check"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return found.success ? new TextDecoder().decode(found.stdout).trim().split("\n").at(-1)! : null;
}
