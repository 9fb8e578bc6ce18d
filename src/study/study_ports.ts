import type { CpuEnergySource } from "../cpu/cpu_energy.ts";
import type { CpuTimeseriesRow } from "../cpu/cpu_timeseries_rows.ts";
import type { CpuTimeseriesParquetOptions } from "../results/cpu_timeseries_parquet.ts";
import type { HarnessMessage, HostMessage, RequestRecord } from "../engines/harness_protocol.ts";
import type { GpuSystem } from "../gpu/gpu.ts";
import type { StartSampler } from "../gpu/sampler.ts";
import type { TaggedSample } from "../gpu/sampler_protocol.ts";
import type { RequestsParquetOptions } from "../results/requests_parquet.ts";
import type { TimeseriesParquetOptions } from "../results/timeseries_parquet.ts";
import type { StudyEvent } from "./study_events.ts";

/** The study runner's time: the clock it stamps window edges with, wall time for records, and waiting. */
export interface StudyClock {
  /** Now on the clock the sampler shares (Unix seconds, sub-millisecond): window edges, sample times. */
  nowSeconds(): number;
  /** Now as a date, for records (start and end times, directory names). */
  now(): Date;
  /** Wait `seconds`, or less when `signal` aborts. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
  /** Call `tick` every `ms` milliseconds until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

/** The harness's hello: the engine, its version, the protocol. */
export type HelloMessage = Extract<HarnessMessage, { type: "hello" }>;

/** A started engine session as the runner drives it: the harness in a container or process, or a fake. */
export interface EngineSession {
  readonly hello: HelloMessage;
  /** The exit code once the process has ended, else null. */
  readonly exitCode: number | null;
  /** Send a message and receive its answer of type `expected` within `deadlineMs`; SessionError else. */
  request<T extends HarnessMessage["type"]>(
    message: HostMessage,
    expected: T,
    deadlineMs: number,
  ): Promise<Extract<HarnessMessage, { type: T }>>;
  /** Receive the next message, which must be of type `expected` (done after finished); SessionError else. */
  expect<T extends HarnessMessage["type"]>(
    expected: T,
    deadlineMs: number,
  ): Promise<Extract<HarnessMessage, { type: T }>>;
  /** Ask the harness to leave, killing it after a grace period; resolves with its exit code. */
  stop(): Promise<number>;
  /** Kill it now; resolves with its exit code. */
  kill(): Promise<number>;
}

/** How to start one session: the command (built by src/runners/), its log and its limits. */
export interface SessionStart {
  argv: string[];
  env: Record<string, string>;
  /** Only these of llem's variables reach the program (Apptainer's client); all of them when absent or null. */
  inherit?: readonly string[] | null;
  /** Run after a kill (container runners: remove the container, which outlives its client). */
  afterKill: string[] | null;
  /** The session's log file (the harness's stderr). */
  logPath: string;
  limits: { helloTimeoutMs: number; silenceTimeoutMs: number };
}

/** Starts a session and waits for its hello; rejects with SessionError (or SpawnError) when it cannot. */
export type StartSession = (start: SessionStart) => Promise<EngineSession>;

/** A run's timeseries as it is written: samples appended as they arrive, the file written by finish(). */
export interface TimeseriesSink {
  append(samples: readonly TaggedSample[]): void;
  finish(): Promise<void>;
  /** Write nothing and release what the sink holds (a failed run). */
  discard(): void;
}

/** The run files written through a library (DuckDB's Parquet); JSON files are written directly. */
export interface RunFileWriter {
  openTimeseries(path: string, options: TimeseriesParquetOptions): Promise<TimeseriesSink>;
  writeRequests(
    path: string,
    requests: readonly RequestRecord[],
    options: RequestsParquetOptions,
  ): Promise<void>;
  writeCpuTimeseries(
    path: string,
    rows: readonly CpuTimeseriesRow[],
    options: CpuTimeseriesParquetOptions,
  ): Promise<void>;
  /** Release what the writers share (llem's one DuckDB for the study), once the study is over. */
  close?(): Promise<void>;
}

/**
 * What the study runner touches the world through: the GPUs, the sampler, engine sessions, the clock and
 * the Parquet writers, plus where it reports and what stops it. llem passes the real ones
 * (measure_study.ts); tests pass in-memory fakes.
 */
export interface StudyPorts {
  gpuSystem: GpuSystem;
  startSampler: StartSampler;
  startSession: StartSession;
  /** The host's CPU and DRAM energy counters (Linux RAPL), or why there are none. */
  cpuEnergy: CpuEnergySource;
  clock: StudyClock;
  files: RunFileWriter;
  /** Told everything the study does, for progress displays. */
  onEvent(event: StudyEvent): void;
  /** Aborted by Ctrl-C or SIGTERM: the study stops cleanly as interrupted. */
  signal: AbortSignal;
}
