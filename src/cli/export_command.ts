import { ALLOW_SIMULATED_OPTION, refuseSimulatedExport } from "./simulation_guard.ts";
import { resultsTable } from "../analysis/results_table.ts";
import { UsageError } from "../errors/usage_error.ts";
import { loadStudy } from "../results/load_study.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import { writeOutputFile } from "./write_output_file.ts";
import { renderCodeCarbonCsv, renderMlEnergy, renderZeusCsv } from "./render_export.ts";
import { renderResultsCsv, studyRows } from "./render_results.ts";

const FORMATS = ["csv", "ml-energy", "zeus-csv", "codecarbon-csv"] as const;

/** `llem export DIR --format F`: a study in a peer's format (or a flat CSV), to stdout or a file. */
export const exportCommand: Command = {
  name: "export",
  usage: "DIR --format csv|ml-energy|zeus-csv|codecarbon-csv [--grid-intensity G] [--pue P] [-o FILE]",
  description: "Write a study in another tool's format: csv, one row per experiment with summary " +
    "statistics only (as llem results --csv); ml-energy, the ML.ENERGY leaderboard's task file, a " +
    "configuration per experiment; zeus-csv, Zeus's window log, a row per run with each GPU's energy; " +
    "codecarbon-csv, CodeCarbon's emissions.csv (3.3.2's columns), a row per run, its emissions at the grid " +
    "intensity you give (--grid-intensity, gCO2e/kWh: llem never guesses a region) times --pue (default 1). " +
    "llem measures GPUs only: the CPU and RAM columns stay empty.",
  positionals: ["DIR"],
  options: [
    { name: "format", type: "string", value: "F", description: `one of ${FORMATS.join(", ")}` },
    {
      name: "grid-intensity",
      type: "string",
      value: "G",
      description: "codecarbon-csv: the grid's carbon intensity, gCO2e per kWh",
    },
    {
      name: "pue",
      type: "string",
      value: "P",
      description: "codecarbon-csv: the data centre's PUE (default 1)",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "write here instead of stdout",
    },
    ALLOW_SIMULATED_OPTION,
  ],
  examples: [
    ["llem export results/my-study_* --format csv -o table.csv", "a flat table for a paper"],
    ["llem export results/my-study_* --format codecarbon-csv --grid-intensity 250", "emissions at 250 g/kWh"],
  ],
  run(args, io) {
    const format = args.values.format as string | undefined;
    if (!format || !(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(
        format ? `unknown format "${format}"` : "--format is required",
        `choose one of ${FORMATS.join(", ")}`,
      );
    }
    const dir = args.positionals[0]!;
    const study = loadStudy(dir);
    refuseSimulatedExport(
      { dir, simulated: study.manifest.simulated },
      args.values["allow-simulated"] === true,
    );
    let text: string;
    if (format === "csv") {
      text = renderResultsCsv([studyRows(study, resultsTable(study))]);
    } else if (format === "ml-energy") text = renderMlEnergy(study);
    else if (format === "zeus-csv") text = renderZeusCsv(study);
    else text = renderCodeCarbonCsv(study, gridOf(args.values));
    const output = args.values.output as string | undefined;
    if (output === undefined) io.out(text);
    else writeOutputFile(output, text);
    return EXIT.ok;
  },
};

/** The grid intensity and PUE the user gave, checked. */
function gridOf(values: Record<string, unknown>): { gPerKwh: number; pue: number } {
  const given = values["grid-intensity"] as string | undefined;
  if (given === undefined) {
    throw new UsageError(
      "codecarbon-csv needs --grid-intensity: llem never guesses where the energy came from",
      "give your grid's carbon intensity in gCO2e/kWh, e.g. --grid-intensity 250",
    );
  }
  const gPerKwh = positive(given, "--grid-intensity");
  const pue = values.pue === undefined ? 1 : positive(values.pue as string, "--pue");
  if (pue < 1) throw new UsageError(`--pue ${pue} is below 1`, "a PUE is at least 1 (1 when unknown)");
  return { gPerKwh, pue };
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) {
    throw new UsageError(`${flag} "${text}" is not a positive number`, `e.g. ${flag} 250`);
  }
  return value;
}
