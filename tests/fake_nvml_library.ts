/** Builds (once per process, idempotently) and locates the C stand-in for libnvidia-ml. */
const repo = new URL("../", import.meta.url).pathname;
let built = false;

const FILES = {
  "full": "libnvidia-ml.so.1",
  "old-driver": "libnvidia-ml-old-driver.so",
  "no-energy": "libnvidia-ml-no-energy.so",
} as const;

/** Path of a stand-in variant, built by scripts/build_fake_nvml.sh on first use. */
export function fakeNvmlLibrary(variant: keyof typeof FILES): string {
  if (!built) {
    const output = new Deno.Command("bash", {
      args: [`${repo}scripts/build_fake_nvml.sh`],
      stdout: "piped",
      stderr: "piped",
    })
      .outputSync();
    if (!output.success) {
      throw new Error(`building the fake NVML failed:\n${new TextDecoder().decode(output.stderr)}`);
    }
    built = true;
  }
  return `${repo}build/fake_nvml/${FILES[variant]}`;
}
