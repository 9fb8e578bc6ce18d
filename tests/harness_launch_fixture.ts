/** A harness launch and container options shared by the argv builders' tests. */
import type { HarnessLaunch } from "../src/runners/harness_launch.ts";

/** A launch with everything set: two GPUs, two read-only mounts, a secrets file. */
export const launch: HarnessLaunch = {
  engine: "vllm",
  harnessDir: "/opt/llem/engines",
  gpuUuids: ["GPU-aaa", "GPU-bbb"],
  readOnlyMounts: ["/data/models/qwen", "/home/u/.cache/huggingface"],
  exchangeDir: "/tmp/llem-x",
  allowNetwork: false,
  sessionId: "s1",
  env: { LLEM_SEED: "7" },
  secretsFile: "/run/user/1000/llem-s1/secrets.env",
};
/** Container options of a Docker or Podman session. */
export const container = {
  image: "vllm/vllm-openai:v0.9.0",
  /** The user llem runs as: 1000:1000, not root. */
  host: { uid: 1000, gid: 1000 },
  shmSize: "8g",
  containerName: "llem-s1",
};

/** The value after a flag, for every occurrence. */
export function values(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]!] : []));
}
