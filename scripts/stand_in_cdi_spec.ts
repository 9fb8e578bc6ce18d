/**
 * A stand-in CDI specification (the Container Device Interface, which Podman reads to resolve
 * `--device nvidia.com/gpu=UUID`) for the NVML stand-in's GPUs, so that Podman's real CDI path runs on a
 * machine without a GPU. It is shaped like the one `nvidia-ctk cdi generate` writes: kind nvidia.com/gpu, a
 * device per GPU named by UUID and by index, `all`, and NVIDIA_VISIBLE_DEVICES=void for every container
 * given one. Each device is a harmless character device of the host (a copy of /dev/null, made by
 * scripts/ci_podman.sh) at /dev/llem-standin-gpu<index>, and sets LLEM_STANDIN_GPU_<index>=<uuid>, so a
 * test can see from inside a container which GPUs it was given. An unknown name is refused by Podman
 * itself, as with a real specification.
 *
 *     deno run -A scripts/stand_in_cdi_spec.ts FILE   write the spec to FILE, print its device nodes
 */
import { dirname } from "node:path";
import { fakeNvmlLibrary } from "../tests/fake_nvml_library.ts";
import { LLEM_PERMISSIONS } from "../tests/llem_permissions.ts";

/** Where scripts/ci_podman.sh writes the spec: a folder Podman reads CDI specs from (/var/run/cdi). */
export const STAND_IN_CDI_SPEC_FILE = "/var/run/cdi/llem-standin.json";
/** How many of the NVML stand-in's GPUs the spec defines. */
export const STAND_IN_CDI_GPUS = 4;
/** The host and container path of the stand-in device of GPU `index`. */
export function standInDeviceNode(index: number): string {
  return `/dev/llem-standin-gpu${index}`;
}
/** The variable a container given GPU `index` sees, set to its UUID. */
export function standInGpuVariable(index: number): string {
  return `LLEM_STANDIN_GPU_${index}`;
}

/** A CDI specification, as far as the stand-in uses it (cdiVersion 0.5.0: Podman 4.3 and later read it). */
export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  devices: { name: string; containerEdits: CdiEdits }[];
  containerEdits: CdiEdits;
}

interface CdiEdits {
  env?: string[];
  deviceNodes?: { path: string }[];
}

/** The stand-in specification for GPUs with these UUIDs (index = position). */
export function standInCdiSpec(uuids: readonly string[]): CdiSpec {
  const edits = (index: number): CdiEdits => ({
    env: [`${standInGpuVariable(index)}=${uuids[index]}`],
    deviceNodes: [{ path: standInDeviceNode(index) }],
  });
  const all = uuids.map((_, index) => edits(index));
  return {
    cdiVersion: "0.5.0",
    kind: "nvidia.com/gpu",
    devices: [
      ...uuids.map((uuid, index) => ({ name: uuid, containerEdits: edits(index) })),
      ...uuids.map((_, index) => ({ name: String(index), containerEdits: edits(index) })),
      {
        name: "all",
        containerEdits: {
          env: all.flatMap((e) => e.env ?? []),
          deviceNodes: all.flatMap((e) => e.deviceNodes ?? []),
        },
      },
    ],
    containerEdits: { env: ["NVIDIA_VISIBLE_DEVICES=void"] },
  };
}

/**
 * The UUIDs of the NVML stand-in's first `count` GPUs (its defaults, no scenario UUIDs), as `llem gpus`
 * reads them through the stand-in: the GPUs a test study measures unless it names others.
 */
export async function standInGpuUuids(count = STAND_IN_CDI_GPUS): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "llem-cdi-" });
  try {
    const scenario = `${dir}/scenario.ini`;
    await Deno.writeTextFile(scenario, `gpu_count = ${count}\n`);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...LLEM_PERMISSIONS, new URL("../main.ts", import.meta.url).pathname, "gpus", "--json"],
      env: { LLEM_NVML_LIBRARY: fakeNvmlLibrary("full"), FAKE_NVML_SCENARIO: scenario, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    if (!output.success) throw new Error(`llem gpus failed: ${new TextDecoder().decode(output.stderr)}`);
    return (JSON.parse(text) as { gpus: { uuid: string }[] }).gpus.map((gpu) => gpu.uuid);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const [file] = Deno.args;
  if (!file) {
    console.error("usage: deno run -A scripts/stand_in_cdi_spec.ts FILE");
    Deno.exit(2);
  }
  const uuids = await standInGpuUuids();
  await Deno.mkdir(dirname(file), { recursive: true });
  // Written whole and renamed: Podman may read the folder at any time.
  await Deno.writeTextFile(`${file}.tmp`, JSON.stringify(standInCdiSpec(uuids), null, 2) + "\n");
  await Deno.rename(`${file}.tmp`, file);
  for (const index of uuids.keys()) console.log(standInDeviceNode(index));
}
