/**
 * An in-memory engine session for the study runner's unit tests. It keeps the harness's rules
 * (engines/README.md, engines/harness.py): every host message must pass the protocol's schema, warmup
 * and prepare need a loaded model, go must name the window last made ready; and every answer it gives
 * passes the harness message schema. Time passes on the injected clock: idle for its seconds, a window
 * for its requests' tokens. Failures are scripted per session: exit, be killed (137), time out, raise.
 */
import {
  type HarnessMessage,
  harnessMessageSchema,
  type HostMessage,
  hostMessageSchema,
  PROTOCOL_VERSION,
  type RequestRecord,
  type Workload,
} from "../src/engines/harness_protocol.ts";
import { SessionError } from "../src/runners/harness_session.ts";
import type { EngineSession, SessionStart } from "../src/study/study_ports.ts";
import type { FakeClock } from "./fake_gpu_system.ts";

/** How a scripted session fails: on which message (and which window, 1-based), and how. */
export interface SessionFault {
  on: "configure" | "idle" | "warmup" | "prepare" | "go";
  /** For prepare and go: the session's nth window (default 1). */
  window?: number;
  how: "exit" | "oom" | "timeout" | "raise";
}

/** What a fake engine does: how fast it generates, how it fails, and hooks into its windows. */
export interface FakeEngineScript {
  /** Seconds to the first token of a request, and per further token. */
  ttftSeconds?: number;
  tokenSeconds?: number;
  /** Seconds the model load takes (the clock moves by that much at configure). */
  loadSeconds?: number;
  /** Seconds prepare takes: the window must not include them. */
  prepareSeconds?: number;
  fault?: SessionFault;
  /** Called with every host message as it arrives, before any scripted fault. */
  onMessage?: (message: HostMessage) => void;
  /** Called when a window starts (after go), e.g. to change a GPU's power or lose it. */
  onWindow?: (window: number) => void;
  /** Called when a window's done is about to be sent (abort a signal here to interrupt). */
  onDone?: (window: number) => void;
  /**
   * Seconds a window's records take to reach the host after its last token (a large `done` line being
   * serialised, sent and parsed): the clock moves by that much before the host has them.
   */
  recordsTransferSeconds?: number;
}

/** Every session started, with what it was sent. */
export interface FakeSessionLog {
  starts: SessionStart[];
  sessions: FakeEngineSession[];
}

/** A fake harness session (see the file's comment). */
export class FakeEngineSession implements EngineSession {
  readonly hello: Extract<HarnessMessage, { type: "hello" }> = harnessMessageSchema.parse({
    type: "hello",
    protocol: PROTOCOL_VERSION,
    harness_version: "fake",
    engine: "transformers",
    engine_version: "fake-engine 1.0",
    python: "3.11.7",
  }) as Extract<HarnessMessage, { type: "hello" }>;
  /** The host messages received, in order. */
  readonly received: HostMessage[] = [];
  #exitCode: number | null = null;
  #loaded = false;
  #prepared: { id: string; workload: Workload } | null = null;
  #windows = 0;
  /** A message the harness sends after its answer (done, after finished), for expect(). */
  #following: HarnessMessage | null = null;
  /** How long the last window generated for: its first request's start to its last token. */
  lastWindowSeconds: number | null = null;
  /** The harness's own monotonic clock, offset from the host's: its times are never the host's. */
  readonly #harnessOffsetSeconds = -1_000_000;

  constructor(readonly clock: FakeClock, readonly script: FakeEngineScript = {}) {}

  get exitCode(): number | null {
    return this.#exitCode;
  }

  async request<T extends HarnessMessage["type"]>(
    message: HostMessage,
    expected: T,
    _deadlineMs: number,
  ): Promise<Extract<HarnessMessage, { type: T }>> {
    await Promise.resolve();
    if (this.#exitCode !== null) {
      throw new SessionError("exited", `the harness exited with code ${this.#exitCode}`);
    }
    this.received.push(hostMessageSchema.parse(message));
    this.script.onMessage?.(message);
    this.#failIfScripted(message);
    const answer = harnessMessageSchema.parse(this.#answer(message));
    if (answer.type !== expected) {
      this.#exitCode = 137;
      throw new SessionError("protocol", `expected ${expected} after ${message.type}, got ${answer.type}`);
    }
    return answer as Extract<HarnessMessage, { type: T }>;
  }

  /** The second answer to go: the window's records, which reach the host after `finished`. */
  async expect<T extends HarnessMessage["type"]>(
    expected: T,
    _deadlineMs: number,
  ): Promise<Extract<HarnessMessage, { type: T }>> {
    await Promise.resolve();
    const next = this.#following;
    this.#following = null;
    if (next === null || next.type !== expected) {
      this.#exitCode = 137;
      throw new SessionError("protocol", `expected ${expected}, got ${next?.type ?? "nothing"}`);
    }
    this.clock.advance(this.script.recordsTransferSeconds ?? 0);
    return harnessMessageSchema.parse(next) as Extract<HarnessMessage, { type: T }>;
  }

  stop(): Promise<number> {
    this.#exitCode ??= 0;
    return Promise.resolve(this.#exitCode);
  }

  kill(): Promise<number> {
    this.#exitCode ??= 137;
    return Promise.resolve(this.#exitCode);
  }

  /** The messages received, by type, in order. */
  types(): string[] {
    return this.received.map((m) => m.type);
  }

  #answer(message: HostMessage): HarnessMessage {
    switch (message.type) {
      case "configure":
        this.clock.advance(this.script.loadSeconds ?? 0);
        this.#loaded = true;
        return {
          type: "loaded",
          load_seconds: 1,
          model_info: { parameters: 1000, layers: 2, hidden_size: 16, vocab_size: 100, dtype: message.dtype },
          memory_bytes: null,
          observed_params: {},
        };
      case "idle":
        this.clock.advance(message.seconds);
        return { type: "idle_done" };
      case "warmup":
        this.#requireLoaded(message.type);
        this.clock.advance(0.5);
        return {
          type: "warmup_done",
          iterations: 1,
          latencies_s: [0.5],
          converged: true,
          final_cv: null,
          seconds: 0.5,
        };
      case "prepare":
        this.#requireLoaded(message.type);
        this.clock.advance(this.script.prepareSeconds ?? 0);
        this.#prepared = { id: message.window_id, workload: message.workload };
        return {
          type: "ready",
          window_id: message.window_id,
          n_requests: requestCount(message.workload),
          input_tokens: 0,
        };
      case "go":
        return this.#run(message.window_id);
      case "shutdown":
        return { type: "bye" };
    }
  }

  #run(windowId: string): HarnessMessage {
    if (this.#prepared?.id !== windowId) {
      throw protocolError(`go for window ${windowId}, but the last ready was for ${this.#prepared?.id}`);
    }
    const workload = this.#prepared.workload;
    this.#prepared = null;
    this.#windows += 1;
    this.script.onWindow?.(this.#windows);
    const started = this.clock.nowSeconds() + this.#harnessOffsetSeconds;
    const requests = this.#generate(workload, started);
    const finished = Math.max(started, ...requests.map((r) => r.end_s));
    this.lastWindowSeconds = finished - started;
    this.clock.advance(finished - started);
    this.script.onDone?.(this.#windows);
    const finishedUnix = this.clock.nowSeconds();
    this.#following = {
      type: "done",
      window_id: windowId,
      started_s: started,
      finished_s: finished,
      finished_unix_s: finishedUnix,
      capture: "streaming",
      requests,
    };
    return { type: "finished", window_id: windowId, finished_s: finished, finished_unix_s: finishedUnix };
  }

  /** Requests in batches of batch_size: each batch's requests share its token times. */
  #generate(workload: Workload, started: number): RequestRecord[] {
    const ttft = this.script.ttftSeconds ?? 0.05;
    const token = this.script.tokenSeconds ?? 0.01;
    const count = requestCount(workload);
    const requests: RequestRecord[] = [];
    let batchStart = started;
    for (let first = 0; first < count; first += workload.batch_size) {
      const times = Array.from({ length: workload.max_new_tokens }, (_, i) => batchStart + ttft + i * token);
      for (let index = first; index < Math.min(count, first + workload.batch_size); index++) {
        requests.push({
          index,
          input_tokens: workload.synthetic?.input_len_tokens ?? 1,
          output_tokens: workload.max_new_tokens,
          start_s: batchStart,
          first_token_s: times[0]!,
          end_s: times.at(-1)!,
          token_times_s: times,
        });
      }
      batchStart = times.at(-1)!;
    }
    return requests;
  }

  #requireLoaded(kind: string): void {
    if (!this.#loaded) throw protocolError(`${kind} before configure`);
  }

  #failIfScripted(message: HostMessage): void {
    const fault = this.script.fault;
    if (!fault || fault.on !== message.type) return;
    if ((fault.on === "prepare" || fault.on === "go") && this.#windows + 1 !== (fault.window ?? 1)) return;
    if (fault.how === "raise") {
      // As the real session: the message without its type, the traceback in the log's tail.
      const traceback =
        `Traceback (most recent call last):\nRuntimeError: the fake engine failed on ${message.type}`;
      throw new SessionError("harness_error", `the fake engine failed on ${message.type}`, {
        logTail: `RuntimeError: the fake engine failed on ${message.type}\n${traceback}\n`,
        harnessError: {
          type: "error",
          error_type: "RuntimeError",
          message: `the fake engine failed on ${message.type}`,
          traceback,
          fatal: false,
          in_reply_to: message.type,
        },
      });
    }
    this.#exitCode = fault.how === "oom" ? 137 : fault.how === "exit" ? 1 : 137;
    if (fault.how === "timeout") {
      throw new SessionError("timeout", `no answer from the harness within the deadline; it was killed`);
    }
    throw new SessionError("exited", `the harness exited with code ${this.#exitCode}`, {
      exitCode: this.#exitCode,
      logTail: "fake engine log",
    });
  }
}

/** What the harness answers a message that breaks its rules: an error of type ProtocolError. */
function protocolError(message: string): SessionError {
  return new SessionError("harness_error", `ProtocolError: ${message}`, {
    harnessError: {
      type: "error",
      error_type: "ProtocolError",
      message,
      traceback: "",
      fatal: false,
      in_reply_to: null,
    },
  });
}

function requestCount(workload: Workload): number {
  return workload.prompts?.length ?? workload.synthetic?.n_prompts ?? 0;
}

/**
 * A session factory for the runner's ports: session n (0-based) follows `scripts[n]` (the last script
 * for later ones); every start and session is logged.
 */
export function fakeSessions(
  clock: FakeClock,
  scripts: FakeEngineScript[] = [{}],
): { start: (start: SessionStart) => Promise<EngineSession>; log: FakeSessionLog } {
  const log: FakeSessionLog = { starts: [], sessions: [] };
  return {
    log,
    start(start) {
      log.starts.push(start);
      const script = scripts[Math.min(log.sessions.length, scripts.length - 1)] ?? {};
      const session = new FakeEngineSession(clock, script);
      log.sessions.push(session);
      return Promise.resolve(session);
    },
  };
}
