import { LlemError } from "../errors/llem_error.ts";
import {
  type HarnessMessage,
  type HostMessage,
  parseHarnessLine,
  PROTOCOL_VERSION,
  ProtocolViolation,
} from "../engines/harness_protocol.ts";
import { runProgram } from "./run_program.ts";
import { type SpawnOptions, spawnProcess } from "./spawn_process.ts";

/** How a session ended badly (a failed measurement: exit 4); `failure` says what the host saw. */
export class SessionError extends LlemError {
  readonly kind = "measurement_failed";
  readonly failure: "exited" | "timeout" | "silent" | "protocol" | "harness_error";
  /** Exit code, when the process ended (137 = killed, e.g. out of memory). */
  readonly exitCode: number | null;
  /** The end of the harness's stderr log. */
  readonly logTail: string;
  /** The harness's own error message, for kind "harness_error". */
  readonly harnessError: Extract<HarnessMessage, { type: "error" }> | null;

  constructor(
    failure: SessionError["failure"],
    message: string,
    details: {
      exitCode?: number | null;
      logTail?: string;
      harnessError?: Extract<HarnessMessage, { type: "error" }> | null;
    } = {},
    options?: ErrorOptions,
  ) {
    super(message, null, options);
    this.failure = failure;
    this.exitCode = details.exitCode ?? null;
    this.logTail = details.logTail ?? "";
    this.harnessError = details.harnessError ?? null;
  }
}

/** Limits a session works under. */
export interface SessionLimits {
  /** Longest wait for `hello` after the process starts. */
  helloTimeoutMs: number;
  /** A harness that writes nothing (protocol or log) for this long is killed; 0 = never. */
  silenceTimeoutMs: number;
  /** After `shutdown`, how long to wait for the process to leave before killing it. */
  stopGraceMs: number;
}

/** Default limits; callers set them from the study's execution settings. */
export const DEFAULT_LIMITS: SessionLimits = {
  helloTimeoutMs: 120_000,
  silenceTimeoutMs: 300_000,
  stopGraceMs: 10_000,
};

const LOG_TAIL_BYTES = 16 * 1024;

/**
 * A running harness: send host messages, receive harness messages with deadlines, a silence
 * watchdog, graceful stop then kill, the exit status and the tail of the log on failure.
 */
export class HarnessSession {
  readonly hello: Extract<HarnessMessage, { type: "hello" }>;
  readonly #child: Deno.ChildProcess;
  readonly #lines: LineReader;
  readonly #log: LogState;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #limits: SessionLimits;
  readonly #status: Promise<Deno.CommandStatus>;
  #logFile: Deno.FsFile | null;
  #exitCode: number | null = null;
  readonly #afterKill: readonly string[] | null;

  private constructor(
    child: Deno.ChildProcess,
    lines: LineReader,
    log: LogState,
    limits: SessionLimits,
    logFile: Deno.FsFile | null,
    hello: Extract<HarnessMessage, { type: "hello" }>,
    status: Promise<Deno.CommandStatus>,
    afterKill: readonly string[] | null,
  ) {
    this.#afterKill = afterKill;
    this.#child = child;
    this.#lines = lines;
    this.#log = log;
    this.#writer = child.stdin.getWriter();
    this.#limits = limits;
    this.#logFile = logFile;
    this.hello = hello;
    this.#status = status;
  }

  /** Start the harness with `argv` and wait for its `hello`. */
  static async start(
    argv: readonly string[],
    options: {
      limits?: Partial<SessionLimits>;
      logPath?: string;
      spawn?: SpawnOptions;
      /** Run after a kill: a container outlives its killed client (`docker rm --force NAME`). */
      afterKill?: readonly string[];
    } = {},
  ): Promise<HarnessSession> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const child = spawnProcess(argv, {
      ...options.spawn,
      // The harness asks the kernel to kill it when this process dies (engines/harness.py); a container
      // runtime's client ignores the variable, and a container never sees it.
      env: { ...options.spawn?.env, LLEM_PARENT_PID: String(Deno.pid) },
      stdin: "piped",
      processGroup: true,
    });
    const logFile = options.logPath
      ? await Deno.open(options.logPath, { write: true, create: true, append: true })
      : null;
    const state: LogState = { tail: "", activity: Date.now() };
    const status = child.status;
    status.then(() => ended.add(child));
    // stderr is the session log: keep a tail in memory, everything in the log file.
    const pumpLog = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        state.activity = Date.now();
        await logFile?.write(chunk);
        state.tail = (state.tail + decoder.decode(chunk, { stream: true })).slice(-LOG_TAIL_BYTES);
      }
    })();
    const lines = new LineReader(readLines(child.stdout, () => state.activity = Date.now()), status);
    const afterKill = options.afterKill ?? null;
    const fail = async (error: SessionError) => {
      killGroup(child);
      await status;
      if (afterKill) await runAfterKill(afterKill);
      await pumpLog.catch(() => {});
      logFile?.close();
      throw error;
    };
    const first = await lines.next(limits.helloTimeoutMs);
    if (first.kind !== "line") {
      await pumpLog.catch(() => {});
      const code = first.kind === "exited" ? first.code : null;
      return await fail(
        new SessionError(
          first.kind === "exited" ? "exited" : "timeout",
          first.kind === "exited"
            ? `the harness exited with code ${code} before saying hello`
            : `no hello from the harness within ${limits.helloTimeoutMs} ms`,
          { exitCode: code, logTail: state.tail },
        ),
      );
    }
    let hello: HarnessMessage;
    try {
      hello = parseHarnessLine(first.line);
    } catch (error) {
      return await fail(
        new SessionError("protocol", (error as Error).message, { logTail: state.tail }, { cause: error }),
      );
    }
    if (hello.type === "error") {
      await keepInLog(state, { file: logFile, text: describeHarnessError(hello) });
      return await fail(
        new SessionError("harness_error", `the harness failed to start: ${hello.message}`, {
          harnessError: hello,
          logTail: state.tail,
        }),
      );
    }
    if (hello.type !== "hello" || hello.protocol !== PROTOCOL_VERSION) {
      return await fail(
        new SessionError("protocol", `expected hello with protocol ${PROTOCOL_VERSION}, got ${first.line}`),
      );
    }
    return new HarnessSession(child, lines, state, limits, logFile, hello, status, afterKill);
  }

  /** The end of the harness's stderr log. */
  logTail(): string {
    return this.#log.tail;
  }

  /** The exit code once the process has ended, else null. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Send one message. */
  async send(message: HostMessage): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
    } catch (error) {
      const status = await this.#status;
      this.#exitCode = status.code;
      throw new SessionError("exited", `the harness exited with code ${status.code}`, {
        exitCode: status.code,
        logTail: this.logTail(),
      }, { cause: error });
    }
  }

  /**
   * The next message other than `log`, within `deadlineMs`; while waiting, a harness silent for the
   * silence limit is killed. An `error` from the harness becomes a SessionError of kind harness_error.
   */
  async receive(deadlineMs: number): Promise<HarnessMessage> {
    const deadline = Date.now() + deadlineMs;
    while (true) {
      const silence = this.#limits.silenceTimeoutMs;
      const untilSilence = silence > 0 ? this.#log.activity + silence - Date.now() : Infinity;
      const wait = Math.max(0, Math.min(deadline - Date.now(), untilSilence));
      const next = await this.#lines.next(wait);
      if (next.kind === "exited") {
        this.#exitCode = next.code;
        throw new SessionError(
          "exited",
          `the harness exited with code ${next.code}${next.code === 137 ? " (killed: out of memory?)" : ""}`,
          { exitCode: next.code, logTail: this.logTail() },
        );
      }
      if (next.kind === "timeout") {
        const silent = silence > 0 && Date.now() - this.#log.activity >= silence;
        if (!silent && Date.now() < deadline) continue;
        await this.kill();
        throw new SessionError(
          silent ? "silent" : "timeout",
          silent
            ? `the harness said nothing for ${silence} ms and was killed`
            : `no answer from the harness within ${deadlineMs} ms; it was killed`,
          { exitCode: this.#exitCode, logTail: this.logTail() },
        );
      }
      let message: HarnessMessage;
      try {
        message = parseHarnessLine(next.line);
      } catch (error) {
        if (error instanceof ProtocolViolation) {
          await this.kill();
          throw new SessionError("protocol", error.message, { logTail: this.logTail() }, { cause: error });
        }
        throw error;
      }
      if (message.type === "log") {
        await keepInLog(this.#log, { file: this.#logFile, text: `[${message.level}] ${message.message}\n` });
        continue;
      }
      if (message.type === "error") {
        await keepInLog(this.#log, { file: this.#logFile, text: describeHarnessError(message) });
        if (message.fatal) this.#exitCode = (await this.#status).code;
        // The error's type is kept apart (SessionError.harnessError, the manifest's error type).
        throw new SessionError("harness_error", message.message, {
          harnessError: message,
          exitCode: this.#exitCode,
          logTail: this.logTail(),
        });
      }
      return message;
    }
  }

  /** Send a message and receive its answer, which must be of type `expected`. */
  async request<T extends HarnessMessage["type"]>(
    message: HostMessage,
    expected: T,
    deadlineMs: number,
  ): Promise<Extract<HarnessMessage, { type: T }>> {
    await this.send(message);
    return await this.expect(expected, deadlineMs, `after ${message.type}`);
  }

  /** Receive the next message, which must be of type `expected` (a second answer: done after finished). */
  async expect<T extends HarnessMessage["type"]>(
    expected: T,
    deadlineMs: number,
    context = "",
  ): Promise<Extract<HarnessMessage, { type: T }>> {
    const answer = await this.receive(deadlineMs);
    if (answer.type !== expected) {
      await this.kill();
      throw new SessionError(
        "protocol",
        `expected ${expected}${context ? ` ${context}` : ""}, got ${answer.type}`,
        {
          logTail: this.logTail(),
        },
      );
    }
    return answer as Extract<HarnessMessage, { type: T }>;
  }

  /** Ask the harness to shut down; kill it if it has not left within the grace period. */
  async stop(): Promise<number> {
    if (this.#exitCode !== null) return this.#exitCode;
    try {
      await this.send({ type: "shutdown" });
      await this.#writer.close().catch(() => {});
    } catch { /* already gone */ }
    const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), this.#limits.stopGraceMs));
    const status = await Promise.race([this.#status, timer]);
    if (status === null) return await this.kill();
    this.#exitCode = status.code;
    await this.#drain();
    return status.code;
  }

  /** Kill the harness now; returns its exit code. */
  async kill(): Promise<number> {
    killGroup(this.#child);
    const status = await this.#status;
    this.#exitCode = status.code;
    if (this.#afterKill) await runAfterKill(this.#afterKill);
    await this.#drain();
    return status.code;
  }

  async #drain(): Promise<void> {
    await this.#writer.close().catch(() => {});
    // Let pending reads finish so no stream is left open.
    await this.#lines.close();
    this.#logFile?.close();
    this.#logFile = null;
  }
}

/** A harness error as the session log keeps it: its type and message, then its traceback. */
function describeHarnessError(error: Extract<HarnessMessage, { type: "error" }>): string {
  const traceback = error.traceback.trim();
  return `${error.error_type}: ${error.message}\n${traceback ? `${traceback}\n` : ""}`;
}

/**
 * Keep a protocol message worth reading later (the harness's log lines, its errors with their traceback)
 * in the session log and its tail, beside what the harness wrote to stderr.
 */
async function keepInLog(log: LogState, kept: { file: Deno.FsFile | null; text: string }): Promise<void> {
  log.tail = (log.tail + kept.text).slice(-LOG_TAIL_BYTES);
  await kept.file?.write(new TextEncoder().encode(kept.text)).catch(() => {});
}

/**
 * SIGKILL a harness and its process group (the engine's workers; it leads a group of its own, see
 * SpawnOptions.processGroup), or the process alone once the group is gone.
 */
function killGroup(child: Deno.ChildProcess): void {
  // Once the harness has been reaped its pid may be reused, and a group of that id may be someone else's;
  // its workers are then the harness's guardian's to end.
  if (ended.has(child)) return;
  try {
    Deno.kill(-child.pid, "SIGKILL");
    return;
  } catch { /* the group has ended, or it was never made: the process alone */ }
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** Harness processes that have ended and been reaped. */
const ended = new WeakSet<Deno.ChildProcess>();

/** Best effort: a failure here leaves a labelled container that the reaper removes at the next start. */
async function runAfterKill(argv: readonly string[]): Promise<void> {
  // A container may be removing itself meanwhile (`--rm`: its harness ends with its client), and Docker
  // then answers "removal already in progress" while it is still listed: wait for that removal to finish.
  for (let attempt = 0; attempt < 10; attempt++) {
    const done = await runProgram([...argv], { timeoutMs: 30_000 }).catch(() => null);
    if (!done || !/already in progress/.test(done.stderr)) return;
    await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
  }
}

type Next = { kind: "line"; line: string } | { kind: "timeout" } | { kind: "exited"; code: number };

/** The harness's log state: the tail of stderr and when the harness last wrote anything. */
interface LogState {
  tail: string;
  activity: number;
}

/** Reads lines with a timeout, keeping a read that timed out for the next call so no line is lost. */
class LineReader {
  #pending: Promise<IteratorResult<string>> | null = null;

  constructor(readonly lines: AsyncGenerator<string>, readonly status: Promise<Deno.CommandStatus>) {}

  async next(waitMs: number): Promise<Next> {
    this.#pending ??= this.lines.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), waitMs));
    try {
      const result = await Promise.race([this.#pending, timeout]);
      if (result === "timeout") return { kind: "timeout" };
      this.#pending = null;
      return result.done
        ? { kind: "exited", code: (await this.status).code }
        : { kind: "line", line: result.value };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // The process is gone, so a pending read ends with the stream.
    if (this.#pending) await this.#pending.catch(() => {});
    await this.lines.return(undefined).catch(() => {});
  }
}

/** Lines of a byte stream, calling `onData` whenever bytes arrive. */
async function* readLines(stream: ReadableStream<Uint8Array>, onData: () => void): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    onData();
    buffer += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield line;
    }
  }
  if (buffer.trim()) yield buffer.trim();
}
