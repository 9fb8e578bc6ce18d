/** Running llem's peers (scripts/peers/peer_windows.py) from the benchmarks, on llem's stand-ins. */

const repo = new URL("../../", import.meta.url).pathname;

/** The peers environment's python (scripts/parity/peers_venv.sh), or null when it has not been made. */
export function peersPython(): string | null {
  const found = new Deno.Command("bash", {
    args: [`${repo}scripts/parity/peers_venv.sh`, "--check"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return found.success ? new TextDecoder().decode(found.stdout).trim().split("\n").at(-1)! : null;
}

/**
 * Run peer_windows.py with `args` and return what it printed. The NVML stand-in is its NVML (on
 * `scenario`, if given), and a stand-in `nvidia-smi` that only answers is on its PATH: CodeCarbon looks
 * for NVIDIA GPUs by running it before it opens NVML.
 */
export async function runPeer(args: string[], scenario?: string): Promise<string> {
  const bin = Deno.makeTempDirSync({ prefix: "llem-peer-bin-" });
  try {
    Deno.writeTextFileSync(`${bin}/nvidia-smi`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const output = await new Deno.Command(peersPython()!, {
      args: ["-B", `${repo}scripts/peers/peer_windows.py`, ...args],
      env: {
        PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        LD_LIBRARY_PATH: `${repo}build/fake_nvml`,
        ...(scenario ? { FAKE_NVML_SCENARIO: scenario } : {}),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    return new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!;
  } finally {
    Deno.removeSync(bin, { recursive: true });
  }
}
