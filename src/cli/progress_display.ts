import type { PreflightReport } from "../study/preflight.ts";
import type { StudyEvent } from "../study/study_events.ts";
import type { CliIo } from "./cli_io.ts";
import { EXIT } from "./exit_code.ts";
import { newProgressState, renderStudyEvent, statusLine } from "./render_study_event.ts";

/** Print what preflight found: every problem with its fix (exit 3), or that the machine is ready. */
export function reportPreflight(
  report: PreflightReport,
  out: { io: CliIo; say: (text: string) => void },
): number {
  if (report.problems.length === 0) {
    out.say("preflight: ready\n");
    return EXIT.ok;
  }
  out.io.err(
    report.problems.map((p) => `error: ${p.message}\nhint: ${p.fix}\n`).join("") +
      `preflight found ${report.problems.length} problem(s); nothing was run\n`,
  );
  return EXIT.notReady;
}

/** Events to the terminal (a live status line), to plain lines (logs), or to JSON lines. */
export function progressDisplay(
  io: { out(text: string): void; err(text: string): void },
  mode: { json: boolean; quiet: boolean; verbose: boolean },
): { event(event: StudyEvent): void; close(): void } {
  if (mode.json) {
    return {
      event: (event) => io.out(JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n"),
      close() {},
    };
  }
  const state = newProgressState(Date.now());
  const live = !mode.quiet && Deno.stdout.isTerminal();
  let timer: ReturnType<typeof setInterval> | null = null;
  let closed = false;
  const width = () => {
    try {
      return Deno.consoleSize().columns;
    } catch {
      return 100;
    }
  };
  const redraw = () => live && !closed && io.out(`\r\x1b[2K${statusLine(state, Date.now(), width())}`);
  if (live) timer = setInterval(redraw, 1000);
  return {
    event(event) {
      let lines = renderStudyEvent(state, event, Date.now());
      if (mode.verbose && event.type === "phase" && lines.length === 0) lines = [`  ${state.phase}`];
      if (mode.quiet) {
        lines = event.type === "warning" || event.type === "run_failed" || event.type === "study_finished"
          ? lines
          : [];
      }
      if (lines.length) io.out((live ? "\r\x1b[2K" : "") + lines.join("\n") + "\n");
      redraw();
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearInterval(timer);
      if (live) io.out("\r\x1b[2K");
    },
  };
}
