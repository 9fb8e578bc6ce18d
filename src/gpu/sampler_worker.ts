/// <reference lib="deno.worker" />
/**
 * The sampler's worker: it opens NVML itself and reads every selected GPU each interval, so the main
 * thread never blocks on the driver. Samples go to the host in batches; the host switches phases.
 */
import type { Gpu, GpuSystem } from "./gpu.ts";
import { GpuLostError, openNvmlGpuSystem } from "./nvml_gpu_system.ts";
import {
  type SamplePhase,
  type SamplerCommand,
  type SamplerEvent,
  sharedClockSeconds,
  type TaggedSample,
} from "./sampler_protocol.ts";

/** Samples are posted at least this often, so the host's view is never far behind. */
const FLUSH_MS = 200;
/** Interval deviations kept for the jitter statistics (a ring: memory stays bounded for hours). */
const JITTER_WINDOW = 100_000;

let system: GpuSystem | null = null;
let gpus: Gpu[] = [];
let phase: SamplePhase = "idle";
let intervalMs = 100;
let timer: ReturnType<typeof setTimeout> | undefined;
let running = false;
let pending: TaggedSample[] = [];
let lastFlushMs = 0;
let rounds = 0;
let errorCount = 0;
let firstRoundMs = 0;
let lastRoundMs = 0;
let nextDueMs = 0;
const deviations = new Float64Array(JITTER_WINDOW);

function post(event: SamplerEvent): void {
  self.postMessage(event);
}

function round(): void {
  if (!running) return;
  const nowMs = sharedClockSeconds() * 1000;
  if (rounds > 0) deviations[(rounds - 1) % JITTER_WINDOW] = Math.abs(nowMs - lastRoundMs - intervalMs);
  else firstRoundMs = nowMs;
  lastRoundMs = nowMs;
  rounds += 1;
  try {
    for (const gpu of gpus) {
      const sample = gpu.sample(sharedClockSeconds());
      errorCount += sample.errorCount;
      pending.push({ ...sample, uuid: gpu.info.uuid, phase });
    }
  } catch (error) {
    fail(error);
    return;
  }
  if (nowMs - lastFlushMs >= FLUSH_MS) flush(nowMs);
  // Schedule against absolute due times so small delays do not accumulate into drift.
  nextDueMs += intervalMs;
  const delay = Math.max(0, nextDueMs - sharedClockSeconds() * 1000);
  timer = setTimeout(round, delay);
}

function flush(nowMs: number): void {
  if (pending.length > 0) post({ type: "samples", samples: pending });
  pending = [];
  lastFlushMs = nowMs;
}

function timing() {
  const kept = Math.min(Math.max(rounds - 1, 0), JITTER_WINDOW);
  const sorted = Array.from(deviations.subarray(0, kept)).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  return {
    rounds,
    meanIntervalMs: rounds > 1 ? (lastRoundMs - firstRoundMs) / (rounds - 1) : 0,
    medianJitterMs: at(0.5),
    p99JitterMs: at(0.99),
    errorCount,
  };
}

function stop(): void {
  running = false;
  if (timer !== undefined) clearTimeout(timer);
  flush(sharedClockSeconds() * 1000);
  system?.close();
  system = null;
  post({ type: "stopped", timing: timing() });
}

function fail(error: unknown): void {
  running = false;
  if (timer !== undefined) clearTimeout(timer);
  flush(sharedClockSeconds() * 1000);
  try {
    system?.close();
  } catch { /* the driver may be gone */ }
  system = null;
  post({
    type: "failed",
    message: error instanceof Error ? error.message : String(error),
    lostUuid: error instanceof GpuLostError ? error.uuid : null,
  });
}

self.onmessage = (event: MessageEvent<SamplerCommand>) => {
  const command = event.data;
  if (command.type === "phase") {
    phase = command.phase;
    return;
  }
  if (command.type === "stop") {
    if (running) stop();
    return;
  }
  try {
    system = openNvmlGpuSystem(command.libraryPath);
    gpus = command.uuids.map((uuid) => {
      const gpu = system!.gpus.find((g) => g.info.uuid === uuid);
      if (!gpu) throw new Error(`GPU ${uuid} is not on this machine`);
      return gpu;
    });
  } catch (error) {
    fail(error);
    return;
  }
  intervalMs = command.intervalMs;
  phase = command.phase;
  running = true;
  post({ type: "started", uuids: command.uuids });
  nextDueMs = sharedClockSeconds() * 1000;
  lastFlushMs = nextDueMs;
  round();
};
