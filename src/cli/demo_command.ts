import { join, resolve } from "node:path";
import { runDemo } from "../study/run_demo.ts";
import type { Command } from "./command.ts";
import { EXIT, studyExitCode } from "./exit_code.ts";
import { progressDisplay } from "./progress_display.ts";
import { renderStudySummary } from "./render_study_summary.ts";
import { reportHtml } from "./report_command.ts";
import { writeOutputFile } from "./write_output_file.ts";

/** `llem demo`: the whole pipeline on a simulated GPU, on any machine, marked simulated everywhere. */
export const demoCommand: Command = {
  name: "demo",
  usage: "[-o DIR]",
  description:
    "Run a small built-in study end to end without a GPU, an engine or a network: a sweep over batch size, " +
    "3 cycles, on a simulated GPU (a power model: idle, a load that grows with batch size, a power-cap " +
    "event, an energy counter that steps every 20 ms) with llem's test engine, measured by llem's own " +
    "study runner; then report.html. Only Python 3 is needed (for the harness). Every file it writes says " +
    "it is simulated: the study folder's name, manifest.json, each result.json (environment.simulated and " +
    "a warning) and the report's banner; results, report, query and export refuse to mix it with real " +
    "studies unless asked.",
  positionals: [],
  options: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "DIR",
      description: "folder for the demo's config, model folder and results (default llem-demo)",
    },
  ],
  examples: [
    ["llem demo", "run it into ./llem-demo and print where the report is"],
    ["llem demo -o /tmp/demo", "somewhere else"],
  ],
  async run(args, io) {
    const dir = resolve(io.cwd, (args.values.output as string | undefined) ?? "llem-demo");
    io.out(`llem demo: a simulated GPU and the test engine; nothing is measured (${dir})\n`);
    const display = progressDisplay(io, { json: false, quiet: false, verbose: false });
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const name of signals) Deno.addSignalListener(name, onSignal);
    let ran;
    try {
      ran = await runDemo({ dir, env: io.env }, { onEvent: display.event, signal: controller.signal });
    } finally {
      display.close();
      for (const name of signals) Deno.removeSignalListener(name, onSignal);
    }
    const { request, measured } = ran;
    if (measured.kind === "preflight") {
      const problems = measured.report.problems;
      const python = problems.some((p) => p.check === "runner")
        ? "llem demo needs only Python 3.9 or newer (python3 on the PATH) to run its harness; "
        : "";
      io.err(
        problems.map((p) => `error: ${p.message}\nhint: ${p.fix}\n`).join("") + `${python}nothing was run\n`,
      );
      return EXIT.notReady;
    }
    const outcome = measured.outcome;
    io.out("\n" + renderStudySummary(request.plan, outcome.manifest).join("\n") + "\n");
    const report = join(outcome.studyDir, "report.html");
    writeOutputFile(report, await reportHtml([outcome.studyDir]));
    io.out(`results: ${outcome.studyDir}\nreport: ${report}\n`);
    io.out(
      "SIMULATED: these numbers come from a power model, not a GPU. On a GPU machine: llem run CONFIG\n",
    );
    return studyExitCode({ status: outcome.status, failedRuns: outcome.manifest.summary.failed });
  },
};
