import type { Workload } from "../engines/harness_protocol.ts";
import type { Gpu } from "../gpu/gpu.ts";
import type { CpuReading } from "../cpu/cpu_energy.ts";
import type { CounterReading } from "../measure/counter_energy.ts";
import type { DoneMessage } from "../results/experiment_measurement.ts";
import { SessionError } from "../runners/harness_session.ts";
import type { OpenSession } from "./engine_session.ts";
import { interruptible } from "./interrupted.ts";
import { reportPhase, type StudyContext } from "./study_context.ts";
import type { StudyClock } from "./study_ports.ts";

/** What the host saw of one window: its edges, the energy counters there, and the engine's records. */
export interface WindowMeasurement {
  /** The window's edges on the shared clock (the counter reads), Unix seconds. */
  startSeconds: number;
  endSeconds: number;
  /** Each GPU's energy counter at the edges, in the run's GPU order; null where the GPU has none. */
  counterStart: (CounterReading | null)[];
  counterEnd: (CounterReading | null)[];
  /** The CPU energy counters at the edges, read right after the GPUs'; null where the host has none. */
  cpuStart: CpuReading | null;
  cpuEnd: CpuReading | null;
  done: DoneMessage;
  /** What looked wrong: the window closing late, other processes on a GPU. */
  warnings: string[];
}

/** The window's edge closing later than this after the last token gets a warning. */
const EDGE_SKEW_WARNING_MS = 50;

/**
 * One measurement window: the harness prepares the workload, the host reads the energy counters and says
 * go, the harness answers done the moment the last token is in, the host reads the counters again, as
 * close to go and done as it can. Samples keep flowing to the run's recording meanwhile.
 */
export async function measureWindow(
  context: StudyContext,
  window: {
    run: number;
    session: OpenSession;
    gpus: readonly Gpu[];
    workload: Workload;
    /** Read the CPU energy counters (the run recording's, which keeps the reading). */
    readCpu: () => CpuReading | null;
  },
): Promise<WindowMeasurement> {
  const { stream, ports } = context;
  const { harness } = window.session;
  const timeoutMs = context.request.plan.execution.experiment_timeout_seconds * 1000;
  const windowId = `${window.run}`;
  await interruptible(
    harness.request({ type: "prepare", window_id: windowId, workload: window.workload }, "ready", timeoutMs),
    ports.signal,
  );
  reportPhase(context, {
    name: "measuring",
    run: window.run,
    detail: `${window.workload.synthetic?.n_prompts ?? window.workload.prompts?.length ?? 0} requests`,
  });
  stream.setPhase("measure");
  const startSeconds = ports.clock.nowSeconds();
  const counterStart = window.gpus.map((gpu) => readCounter(gpu, ports.clock));
  const cpuStart = window.readCpu();
  // The window closes on `finished`, a small line sent the moment the last token is in: the records in
  // `done` (megabytes with per-token times) come after the closing read, never inside the window.
  const finished = await interruptible(
    harness.request({ type: "go", window_id: windowId }, "finished", timeoutMs),
    ports.signal,
  );
  const counterEnd = window.gpus.map((gpu) => readCounter(gpu, ports.clock));
  const endSeconds = ports.clock.nowSeconds();
  const cpuEnd = window.readCpu();
  const done = await interruptible(harness.expect("done", timeoutMs), ports.signal);
  if (finished.window_id !== windowId || done.window_id !== windowId) {
    throw new SessionError(
      "protocol",
      `go for window ${windowId} was answered for window ${finished.window_id}, then ${done.window_id}`,
      {},
    );
  }
  stream.setPhase("idle");
  await stream.flush();
  return {
    startSeconds,
    endSeconds,
    counterStart,
    counterEnd,
    cpuStart,
    cpuEnd,
    done,
    warnings: windowWarnings(window, { endSeconds, done }),
  };
}

function readCounter(gpu: Gpu, clock: StudyClock): CounterReading | null {
  const energyJoules = gpu.readEnergyJoules();
  return energyJoules === null ? null : { timeSeconds: clock.nowSeconds(), energyJoules };
}

/** A late closing edge, and processes on the GPUs that are not the engine's. */
function windowWarnings(
  window: { session: OpenSession; gpus: readonly Gpu[] },
  closed: { endSeconds: number; done: DoneMessage },
): string[] {
  const warnings: string[] = [];
  if (closed.done.finished_unix_s !== undefined) {
    const skewMs = (closed.endSeconds - closed.done.finished_unix_s) * 1000;
    if (skewMs > EDGE_SKEW_WARNING_MS) {
      warnings.push(`the window closed ${skewMs.toFixed(1)} ms after the last token`);
    }
  }
  for (const gpu of window.gpus) {
    const others = gpu.runningProcesses().filter((p) => !window.session.enginePids.has(p.pid));
    if (others.length) {
      warnings.push(
        `GPU ${gpu.info.uuid} had other process(es) during the window: ${
          others.map((p) => p.pid).join(", ")
        }`,
      );
    }
  }
  return warnings;
}
