import { jsonChunks } from "./json_chunks.ts";
import { planStudy } from "../config/plan_study.ts";
import type { Command } from "./command.ts";
import { readConfigFile } from "../study/read_config_file.ts";
import { renderPlan } from "./render_plan.ts";
import { EXIT } from "./exit_code.ts";

/** `llem plan CONFIG`: what a study will run, in what order, with which identities, and how long at least. */
export const planCommand: Command = {
  name: "plan",
  usage: "CONFIG [--json] [--all]",
  description:
    "Load and validate a study or experiment file, expand its sweep, skip invalid grid points (with the " +
    "reason and the fix), collapse identical configs, and order the runs. Nothing is measured and no GPU " +
    "is needed. Bad input exits with code 2 and every problem, located by file, line and column.",
  positionals: ["CONFIG"],
  options: [
    { name: "json", type: "boolean", description: "print the whole plan as one JSON document" },
    {
      name: "all",
      type: "boolean",
      description: `print every run and skipped point (the text plan stops at 200)`,
    },
  ],
  examples: [
    ["llem plan examples/study.yaml", "preview the example study"],
    ["llem plan study.yaml --json > plan.json", "the full plan, for scripts"],
  ],
  run(args, io) {
    const plan = planStudy(args.positionals[0]!, readConfigFile);
    if (!args.values.json) {
      io.out(renderPlan(plan, { all: args.values.all === true }));
      return EXIT.ok;
    }
    // Streamed, an experiment or run at a time: 10,000 points' plan is never one string.
    let pending = "";
    for (const chunk of jsonChunks(plan, { depth: 2 })) {
      pending += chunk;
      if (pending.length >= 1 << 16) io.out(pending), pending = "";
    }
    io.out(`${pending}\n`);
    return EXIT.ok;
  },
};
