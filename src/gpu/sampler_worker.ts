/// <reference lib="deno.worker" />
/**
 * The sampler's worker: it opens NVML itself and reads every selected GPU each interval, so the main
 * thread never blocks on the driver. It sleeps in Atomics.wait against absolute due times (timers are
 * clamped to 4 ms and drift); the host steers it through a shared control block. Samples go into a
 * shared ring (SampleRingWriter): no message and no object per sample; the host reads them in bulk.
 */
import type { Gpu, GpuSystem } from "./gpu.ts";
import { NvmlError } from "../../ffi/nvml_error.ts";
import { GpuLost } from "./gpu_lost.ts";
import { openNvmlGpuSystem } from "./nvml_gpu_system.ts";
import { SampleRingWriter } from "./sample_ring.ts";
import {
  CONTROL,
  PHASES,
  type SamplerCommand,
  type SamplerEvent,
  type SamplerTiming,
  sharedClockSeconds,
} from "./sampler_protocol.ts";
/** Interval deviations kept for the jitter statistics (a ring: memory stays bounded for hours). */
const JITTER_WINDOW = 100_000;

function post(event: SamplerEvent): void {
  self.postMessage(event);
}

function sample(command: SamplerCommand, control: Int32Array, gpus: Gpu[]): SamplerTiming {
  const deviations = new Float64Array(JITTER_WINDOW);
  const intervalMs = command.intervalMs;
  const ring = new SampleRingWriter(command.ring);
  let rounds = 0;
  let errorCount = 0;
  let firstMs = 0;
  let lastMs = 0;
  let dueMs = sharedClockSeconds() * 1000;
  let flushedId = Atomics.load(control, CONTROL.flush);
  while (Atomics.load(control, CONTROL.stop) === 0) {
    const nowMs = sharedClockSeconds() * 1000;
    if (rounds > 0) deviations[(rounds - 1) % JITTER_WINDOW] = Math.abs(nowMs - lastMs - intervalMs);
    else firstMs = nowMs;
    lastMs = nowMs;
    rounds += 1;
    const phase = PHASES[Atomics.load(control, CONTROL.phase)] ?? "idle";
    // What was measured before a failure (a lost GPU) is in the ring already: the host decides.
    for (const [index, gpu] of gpus.entries()) {
      const reading = gpu.sample(sharedClockSeconds());
      errorCount += reading.errorCount;
      ring.write(reading, { gpu: index, phase });
    }
    // The host asks for a flush when a window closes: this round is at or after its closing edge.
    const flushId = Atomics.load(control, CONTROL.flush);
    if (flushId !== flushedId) {
      post({ type: "flushed", id: flushId });
      flushedId = flushId;
    }
    // Absolute due times: a late round does not push every later one back. If we fell behind by
    // more than a round, skip ahead rather than firing a burst.
    dueMs += intervalMs;
    const after = sharedClockSeconds() * 1000;
    if (dueMs < after - intervalMs) dueMs = after;
    const waitMs = dueMs - after;
    if (waitMs > 0) Atomics.wait(control, CONTROL.wake, Atomics.load(control, CONTROL.wake), waitMs);
  }
  const kept = Math.min(Math.max(rounds - 1, 0), JITTER_WINDOW);
  const sorted = Array.from(deviations.subarray(0, kept)).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  return {
    rounds,
    meanIntervalMs: rounds > 1 ? (lastMs - firstMs) / (rounds - 1) : 0,
    medianJitterMs: at(0.5),
    p99JitterMs: at(0.99),
    errorCount,
  };
}

self.onmessage = (event: MessageEvent<SamplerCommand>) => {
  const command = event.data;
  const control = new Int32Array(command.control);
  let system: GpuSystem | null = null;
  try {
    system = openNvmlGpuSystem(command.libraryPath);
    const gpus = command.uuids.map((uuid) => {
      const gpu = system!.gpus.find((g) => g.info.uuid === uuid);
      if (!gpu) throw new Error(`GPU ${uuid} is not on this machine`);
      return gpu;
    });
    post({ type: "started", uuids: command.uuids });
    const timing = sample(command, control, gpus);
    system.close();
    system = null;
    post({ type: "stopped", timing });
  } catch (error) {
    try {
      system?.close();
    } catch { /* the driver may be gone */ }
    // Opening NVML again here can meet a GPU that was lost since the host opened it.
    const lost = error instanceof GpuLost
      ? error
      : error instanceof NvmlError
      ? GpuLost.fromNvml(null, error)
      : null;
    post({
      type: "failed",
      message: lost?.message ?? (error instanceof Error ? error.message : String(error)),
      lost: lost?.details ?? null,
    });
  }
};
