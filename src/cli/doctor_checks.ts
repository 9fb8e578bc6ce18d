import type { GpuInfo, GpuProcess } from "../gpu/gpu.ts";
import type { ApptainerImageProblem } from "../runners/apptainer_image.ts";
import { CDI_SPEC_DIRS, type CdiGpuDevices, NVIDIA_GPU_KIND } from "../runners/cdi_gpu_devices.ts";
import type { RuntimeProbe } from "../runners/probe_runtimes.ts";
import type { RunningFrom } from "../runners/running_from.ts";

/** One line of `llem doctor`. */
export interface DoctorCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** One-line fix, for warn and fail. */
  fix?: string;
}

/** Everything doctor found out, gathered by the command; turned into checks by a pure function. */
export interface DoctorFacts {
  nvml:
    | { ok: true; libraryPath: string; driverVersion: string; cudaDriverVersion: string | null }
    | { ok: false; libraryPath: string; message: string; fix: string };
  gpus: { info: GpuInfo; processes: GpuProcess[] | null }[];
  runtimes: RuntimeProbe[];
  outputDir: string;
  freeDiskBytes: number | null;
  /** The host's RAPL zones (names), or why CPU energy cannot be measured. */
  cpuEnergy: { domains: string[] } | { unavailable: string };
  /** Where llem's own code runs from: a checkout, the single binary, or a binary Deno unpacked. */
  runningFrom: RunningFrom;
  /** llem's cache folder (harness copies, the single binary's DuckDB library), and why it cannot be written. */
  cache: { dir: string; refused: string | null };
  /**
   * The images of a config's experiments that run under Apptainer, each with what stops Apptainer from
   * starting it offline; null when no config was given or none of its experiments asks for Apptainer.
   */
  apptainerImages?: { image: string; problem: ApptainerImageProblem | null }[] | null;
}

/** How to make a .sif from a Docker image without a registry: what doctor tells where Apptainer is. */
export const SIF_FROM_DOCKER = "Apptainer runs .sif files; to make one offline: docker save IMAGE -o x.tar " +
  "(or llem images save ENGINE -o x.tar) where Docker has the image, then apptainer build x.sif " +
  "docker-archive:x.tar, and set image: x.sif";

/** Below this free space in the output folder, doctor warns (timeseries of long studies add up). */
export const MIN_FREE_DISK_BYTES = 5 * 2 ** 30;
/** Drivers before R535 lack the instantaneous power field and the clock-event reasons API. */
export const RECOMMENDED_DRIVER_MAJOR = 535;

/** The checks, in the order they print. */
export function doctorChecks(facts: DoctorFacts): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const nvml = facts.nvml;
  if (!nvml.ok) {
    checks.push({ name: "NVML", status: "fail", detail: nvml.message, fix: nvml.fix });
  } else {
    checks.push({ name: "NVML", status: "ok", detail: `loaded ${nvml.libraryPath}` });
    const major = Number(nvml.driverVersion.split(".")[0]);
    checks.push(
      major >= RECOMMENDED_DRIVER_MAJOR
        ? {
          name: "driver",
          status: "ok",
          detail: `${nvml.driverVersion}, CUDA ${nvml.cudaDriverVersion ?? "unknown"}`,
        }
        : {
          name: "driver",
          status: "warn",
          detail: `${nvml.driverVersion}: older than R${RECOMMENDED_DRIVER_MAJOR}`,
          fix:
            `update the driver to R${RECOMMENDED_DRIVER_MAJOR} or newer for instantaneous power and throttle reasons`,
        },
    );
    if (facts.gpus.length === 0) {
      checks.push({
        name: "GPUs",
        status: "fail",
        detail: "NVML sees no GPU",
        fix: "check nvidia-smi and CUDA_VISIBLE_DEVICES",
      });
    }
  }
  for (const { info, processes } of facts.gpus) {
    const name = `GPU ${info.index}`;
    const id = `${info.name} ${info.uuid}`;
    checks.push(
      info.capabilities.energyCounter ? { name, status: "ok", detail: `${id}: energy counter available` } : {
        name,
        status: "warn",
        detail: `${id}: no energy counter (older than Volta)`,
        fix: "energy will come from integrated power samples; prefer a Volta or newer GPU",
      },
    );
    if (!info.capabilities.instantPowerField) {
      checks.push({
        name,
        status: "warn",
        detail: "no instantaneous power field: power readings may be 1 s averages",
        fix: `update the driver to R${RECOMMENDED_DRIVER_MAJOR} or newer`,
      });
    }
    if (info.persistenceMode === false) {
      checks.push({
        name,
        status: "warn",
        detail: "persistence mode is off: the driver may unload between runs, resetting the energy counter",
        fix: `sudo nvidia-smi -i ${info.index} -pm 1`,
      });
    }
    if (info.migMode === true) {
      checks.push({
        name,
        status: "warn",
        detail: "MIG is enabled: energy and power are reported for the whole GPU, not per instance",
        fix: `sudo nvidia-smi -i ${info.index} -mig 0, or measure whole GPUs only`,
      });
    }
    if (processes === null) {
      checks.push({
        name,
        status: "warn",
        detail: "cannot list processes on this GPU",
        fix: "run as a user allowed to query GPU processes",
      });
    } else if (processes.length > 0) {
      const list = processes.map((p) => `${p.pid} (${(p.usedMemoryBytes / 2 ** 20).toFixed(0)} MiB)`).join(
        ", ",
      );
      checks.push({
        name,
        status: "warn",
        detail: `other processes use this GPU: ${list}`,
        fix: "stop them before measuring, or choose another GPU: their energy would count as yours",
      });
    }
  }
  for (const runtime of facts.runtimes) checks.push(...runtimeChecks(runtime, facts));
  checks.push(...apptainerImageChecks(facts));
  checks.push(cpuEnergyCheck(facts.cpuEnergy));
  if (facts.freeDiskBytes === null) {
    checks.push({
      name: "disk",
      status: "warn",
      detail: `cannot tell the free space for ${facts.outputDir}`,
      fix: "check that the output folder's file system is mounted",
    });
  } else {
    const gib = facts.freeDiskBytes / 2 ** 30;
    checks.push(
      facts.freeDiskBytes >= MIN_FREE_DISK_BYTES
        ? { name: "disk", status: "ok", detail: `${gib.toFixed(1)} GiB free for ${facts.outputDir}` }
        : {
          name: "disk",
          status: "warn",
          detail: `only ${gib.toFixed(1)} GiB free for ${facts.outputDir}`,
          fix: "free space, or set execution.output_dir to a larger disk",
        },
    );
  }
  checks.push(llemCheck(facts.runningFrom), cacheCheck(facts.cache));
  return checks;
}

/** A container runtime: installed and answering, how it gets GPUs, and whether it enforces limits. */
function runtimeChecks(runtime: RuntimeProbe, facts: DoctorFacts): DoctorCheck[] {
  const name = runtime.runtime;
  const fix = runtimeFix(name);
  // A runtime the config asks for is needed; any other is one choice among several.
  const missing = name === "apptainer" && facts.apptainerImages ? "fail" : "warn";
  if (!runtime.installed) return [{ name, status: missing, detail: "not installed", fix }];
  if (!runtime.usable) return [{ name, status: missing, detail: runtime.detail, fix }];
  const detail = `${runtime.version ?? ""} ${runtime.detail}`.trim();
  const checks: DoctorCheck[] = [];
  if (name === "docker" && runtime.nvidiaSupport === false) {
    checks.push({
      name,
      status: "warn",
      detail,
      fix: "install the NVIDIA Container Toolkit and run: sudo nvidia-ctk runtime configure --runtime=docker",
    });
  } else if (runtime.cdiGpus) {
    checks.push(...cdiChecks(name, { detail, cdi: runtime.cdiGpus, gpus: facts.gpus }));
  } else {
    checks.push({ name, status: "ok", detail });
  }
  if (runtime.limitsIgnored) {
    checks.push({
      name,
      status: "warn",
      detail: runtime.limitsIgnored,
      fix: "run llem as root (rootful containers), or boot with cgroups v2 " +
        "(systemd.unified_cgroup_hierarchy=1); preflight refuses memory_limit meanwhile",
    });
  }
  return checks;
}

/**
 * Podman's GPUs, by CDI: the devices its specs name; a warning when there are none, for each GPU NVML sees
 * that no device names by UUID (the spec predates it), and for each spec that cannot be read.
 */
function cdiChecks(
  name: string,
  found: { detail: string; cdi: CdiGpuDevices; gpus: DoctorFacts["gpus"] },
): DoctorCheck[] {
  const { cdi } = found;
  const generate =
    "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (the NVIDIA Container Toolkit)";
  const checks: DoctorCheck[] = cdi.names.length
    ? [{
      name,
      status: "ok",
      detail: `${found.detail}; CDI: ${cdi.names.length} ${NVIDIA_GPU_KIND} devices (${
        cdi.files.join(", ")
      })`,
    }]
    : [{
      name,
      status: "warn",
      detail: `${found.detail}; no CDI spec names an ${NVIDIA_GPU_KIND} device (${CDI_SPEC_DIRS.join(", ")})`,
      fix: `generate one: ${generate}`,
    }];
  for (const { info } of cdi.names.length ? found.gpus : []) {
    if (cdi.names.includes(info.uuid)) continue;
    checks.push({
      name,
      status: "warn",
      detail: `GPU ${info.index} (${info.uuid}) has no CDI device ${NVIDIA_GPU_KIND}=${info.uuid}: ` +
        "Podman cannot give it to a container",
      fix: `regenerate the CDI spec after a driver or GPU change: ${generate}`,
    });
  }
  for (const why of cdi.unreadable) {
    checks.push({
      name,
      status: "warn",
      detail: `cannot read the CDI spec ${why}`,
      fix: "fix or remove that file: Podman reads every spec in the folder",
    });
  }
  return checks;
}

/**
 * Where llem runs from. A self-extracting binary whose own folder could not be written was unpacked by Deno
 * into the home folder (quota, shared by every node), by each first start at once (Deno writes in place).
 */
function llemCheck(running: RunningFrom): DoctorCheck {
  const name = "llem";
  switch (running.kind) {
    case "source":
      return { name, status: "ok", detail: `runs from a checkout (${running.mainModule})` };
    case "embedded":
      return {
        name,
        status: "ok",
        detail: `single binary ${running.binary}; DuckDB's library is copied into the cache on first use`,
      };
    case "self_extracted":
      return running.place === "beside_binary"
        ? {
          name,
          status: "ok",
          detail: `${running.binary}, unpacked by Deno beside it: ${running.extractedTo}`,
        }
        : {
          name,
          status: "warn",
          detail:
            `${running.binary} could not unpack beside itself; Deno unpacked it into ${running.extractedTo}`,
          fix:
            `have whoever installed it run it once there ("llem --version"), or use the default build, which unpacks into LLEM_CACHE_DIR`,
        };
  }
}

function cacheCheck(cache: DoctorFacts["cache"]): DoctorCheck {
  return cache.refused === null ? { name: "cache", status: "ok", detail: `${cache.dir}: writable` } : {
    name: "cache",
    status: "warn",
    detail: `cannot write ${cache.dir}: ${cache.refused}; llem copies its harness there before a study`,
    fix: 'set LLEM_CACHE_DIR to a folder llem can write; on a cluster a node-local one, "$TMPDIR/llem-cache"',
  };
}

/**
 * The images a config runs under Apptainer, each startable offline or failed with the way to a .sif;
 * without a config, where Apptainer is usable, how to make a .sif from a Docker image offline.
 */
function apptainerImageChecks(facts: DoctorFacts): DoctorCheck[] {
  if (facts.apptainerImages) {
    return facts.apptainerImages.map(({ image, problem }): DoctorCheck =>
      problem
        ? { name: "apptainer image", status: "fail", detail: problem.message, fix: problem.fix }
        : { name: "apptainer image", status: "ok", detail: `${image}: Apptainer can start it here, offline` }
    );
  }
  const usable = facts.runtimes.some((r) => r.runtime === "apptainer" && r.usable);
  return usable ? [{ name: "apptainer images", status: "ok", detail: SIF_FROM_DOCKER }] : [];
}

/** CPU and DRAM energy is optional: without it, results say why (a warning, never a failure). */
function cpuEnergyCheck(cpu: DoctorFacts["cpuEnergy"]): DoctorCheck {
  if ("domains" in cpu) {
    return { name: "CPU energy", status: "ok", detail: `RAPL: ${cpu.domains.join(", ")}` };
  }
  return {
    name: "CPU energy",
    status: "warn",
    detail: `not measured: ${cpu.unavailable}`,
    fix: "results record CPU and DRAM energy as null with this reason; GPU energy is unaffected",
  };
}

function runtimeFix(runtime: string): string {
  switch (runtime) {
    case "docker":
      return 'start the daemon (sudo systemctl start docker) and add yourself to the "docker" group; or use runner: process';
    case "podman":
      return "install podman, or use another runner";
    default:
      return "install Apptainer (apptainer.org), or use another runner";
  }
}
