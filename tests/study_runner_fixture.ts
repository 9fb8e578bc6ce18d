/**
 * The study runner on in-memory ports, for its unit tests: a plan from YAML, fake GPUs on a fake clock,
 * fake engine sessions and Parquet writers, events captured. Results, manifests and artefacts are real
 * files in a temporary folder.
 */
import type { CpuTimeseriesRow } from "../src/cpu/cpu_timeseries_rows.ts";
import { noCpuEnergy } from "../src/cpu/cpu_energy.ts";
import { type ScriptedCpu, scriptedCpuEnergy } from "./fake_cpu_energy.ts";
import type { RequestRecord } from "../src/engines/harness_protocol.ts";
import type { TaggedSample } from "../src/gpu/sampler_protocol.ts";
import { planStudy } from "../src/config/plan_study.ts";
import type { TimeseriesParquetOptions } from "../src/results/timeseries_parquet.ts";
import { DiskFull } from "../src/results/write_error.ts";
import { runStudy, type StudyOutcome } from "../src/study/run_study.ts";
import type { StudySetup } from "../src/study/study_context.ts";
import type { StudyEvent } from "../src/study/study_events.ts";
import type { RunFileWriter, StudyPorts, TimeseriesSink } from "../src/study/study_ports.ts";
import type { StudyRequest } from "../src/study/study_request.ts";
import { type FakeEngineScript, type FakeSessionLog, fakeSessions } from "./fake_engine_session.ts";
import { FakeClock, fakeGpuSystem, FakeSampler } from "./fake_gpu_system.ts";
import { memoryFiles } from "./memory_files.ts";

/** Parquet writers that keep what they are given, as strict about GPUs as the real timeseries writer. */
export class FakeRunFiles implements RunFileWriter {
  readonly timeseries = new Map<string, TaggedSample[]>();
  readonly requests = new Map<string, readonly RequestRecord[]>();
  readonly cpuTimeseries = new Map<string, readonly CpuTimeseriesRow[]>();
  /** Which write fails with a full disk, if any. */
  diskFullOn: "timeseries" | "requests" | null = null;
  /** An error the next timeseries append throws, as DuckDB's appender might. */
  appendFails: Error | null = null;
  /** Sinks still open (neither finished nor discarded). */
  open = 0;

  openTimeseries(path: string, options: TimeseriesParquetOptions): Promise<TimeseriesSink> {
    const samples: TaggedSample[] = [];
    this.open += 1;
    let closed = false;
    const close = () => {
      if (!closed) this.open -= 1;
      closed = true;
    };
    return Promise.resolve({
      append: (batch) => {
        const failure = this.appendFails;
        this.appendFails = null;
        if (failure) throw failure;
        for (const sample of batch) {
          if (!options.gpuIndexByUuid.has(sample.uuid)) {
            throw new Error(
              `Cannot write "${path}": a sample is of GPU "${sample.uuid}", which is not among the experiment's GPUs`,
            );
          }
          samples.push(sample);
        }
      },
      finish: () => {
        close();
        if (this.diskFullOn === "timeseries") return Promise.reject(new DiskFull(path));
        this.timeseries.set(path, samples);
        writeParquetFrame(path, samples.length);
        return Promise.resolve();
      },
      discard: close,
    });
  }

  writeCpuTimeseries(path: string, rows: readonly CpuTimeseriesRow[]): Promise<void> {
    this.cpuTimeseries.set(path, rows);
    writeParquetFrame(path, rows.length);
    return Promise.resolve();
  }

  writeRequests(path: string, requests: readonly RequestRecord[]): Promise<void> {
    if (this.diskFullOn === "requests") return Promise.reject(new DiskFull(path));
    this.requests.set(path, requests);
    writeParquetFrame(path, requests.length);
    return Promise.resolve();
  }
}

/**
 * A file with Parquet's frame (magic number at both ends, a footer length that fits) around a row count:
 * what a resume checks of a completed run's Parquet files, without DuckDB. The rows stay in memory.
 */
function writeParquetFrame(path: string, rows: number): void {
  const body = new TextEncoder().encode(JSON.stringify({ rows }));
  const footer = new Uint8Array(4);
  new DataView(footer.buffer).setUint32(0, body.length, true);
  const magic = new TextEncoder().encode("PAR1");
  Deno.writeFileSync(path, new Uint8Array([...magic, ...body, ...footer, ...magic]));
}

/** The fakes one study runs on, and what they saw. */
export interface FakeWorld {
  dir: string;
  clock: FakeClock;
  system: ReturnType<typeof fakeGpuSystem>;
  sessions: FakeSessionLog;
  files: FakeRunFiles;
  events: StudyEvent[];
  controller: AbortController;
  ports: StudyPorts;
}

/** Options of a fake world: GPUs, engine scripts, and how the sampler behaves. */
export interface FakeWorldOptions {
  gpus?: number;
  watts?: number;
  scripts?: FakeEngineScript[];
  /** The sampler's buffer limit between drains. */
  maxBuffered?: number;
  /** How far behind the clock the sampler hands samples over (the real one posts 200 ms batches). */
  lagSeconds?: number;
  /** The host's CPU energy counters: a scripted CPU (the default), or none. */
  cpu?: Partial<ScriptedCpu> | "none";
  /** Lose GPU `gpu` after `reads` reads, from the start. */
  lose?: { gpu: number; reads: number };
}

/** A fresh folder with fake ports over it. */
export function fakeWorld(options: FakeWorldOptions = {}): FakeWorld {
  const dir = Deno.makeTempDirSync({ prefix: "llem-runner-test-" });
  const clock = new FakeClock();
  const system = fakeGpuSystem(clock, { count: options.gpus ?? 1, watts: options.watts ?? 100 });
  if (options.lose) system.gpus[options.lose.gpu]!.loseAfter(options.lose.reads);
  const sessions = fakeSessions(clock, options.scripts);
  const files = new FakeRunFiles();
  const events: StudyEvent[] = [];
  const controller = new AbortController();
  const ports: StudyPorts = {
    gpuSystem: system,
    startSampler: (start) => {
      try {
        return Promise.resolve(
          new FakeSampler(system, {
            ...start,
            clock,
            maxBuffered: options.maxBuffered,
            lagSeconds: options.lagSeconds,
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    startSession: sessions.start,
    cpuEnergy: options.cpu === "none"
      ? noCpuEnergy("no powercap interface (a test without CPU energy)")
      : scriptedCpuEnergy(options.cpu),
    clock,
    files,
    onEvent: (event) => events.push(event),
    signal: controller.signal,
  };
  return { dir, clock, system, sessions: sessions.log, files, events, controller, ports };
}

/** A request for a study file's text, its folders inside `dir`. */
export function fakeRequest(yaml: string, dir: string, overrides: Partial<StudyRequest> = {}): StudyRequest {
  const plan = planStudy("study.yaml", memoryFiles({ "study.yaml": yaml }));
  return {
    plan,
    configPath: `${dir}/study.yaml`,
    outputDir: `${dir}/results`,
    resume: null,
    shard: null,
    harnessSourceDir: `${dir}/engines`,
    adapterPath: null,
    nvmlLibraryPath: "fake",
    noWait: false,
    host: { uid: 1000, gid: 1000, cwd: dir, gpuEnvironment: {} },
    locations: {
      cacheDir: `${dir}/cache`,
      baselineCacheDir: `${dir}/cache/baselines`,
      lockDir: `${dir}/locks`,
      huggingFaceCache: null,
      tmpDir: dir,
      powercapRoot: `${dir}/no-powercap`,
    },
    secrets: {},
    llem: { version: "0.0.0-test", commit: "test" },
    ...overrides,
  };
}

/** The setup runStudy() takes: every experiment on the process runner. */
export function fakeSetup(request: StudyRequest): StudySetup {
  return {
    request,
    runners: new Map(request.plan.experiments.map((e) => [e.id, { runner: "process", reason: null }])),
    harnessDir: request.harnessSourceDir,
    host: { hostname: "test-host", os: "linux", cpuModel: null, cpuGovernor: null },
  };
}

/** A quick experiment: two requests of eight tokens, no baseline, warmup or thermal floor. */
export function quickExperiment(extra = ""): string {
  return `
model: org/model
runner: process
dataset: {n_prompts: 2, input_len_tokens: 8}
generation: {batch_size: 2, max_new_tokens: 8}
measurement:
  sample_interval_ms: 100
  baseline: {enabled: false}
  warmup: {n_requests: 0}
  thermal_floor: {enabled: false}
${extra}`;
}

/** Run a study on a fresh fake world; the folder is removed afterwards. */
export async function withFakeStudy(
  yaml: string,
  options: FakeWorldOptions & { request?: Partial<StudyRequest>; before?: (world: FakeWorld) => void },
  body: (outcome: StudyOutcome, world: FakeWorld) => void | Promise<void>,
): Promise<void> {
  const world = fakeWorld(options);
  try {
    options.before?.(world);
    const outcome = await runStudy(fakeSetup(fakeRequest(yaml, world.dir, options.request)), world.ports);
    await body(outcome, world);
  } finally {
    Deno.removeSync(world.dir, { recursive: true });
  }
}

/** Events of one type, narrowed. */
export function eventsOf<T extends StudyEvent["type"]>(
  events: readonly StudyEvent[],
  type: T,
): Extract<StudyEvent, { type: T }>[] {
  return events.filter((event): event is Extract<StudyEvent, { type: T }> => event.type === type);
}
