import { findStudyDirs } from "../results/find_study_dirs.ts";
import { readManifest } from "../results/manifest_store.ts";
import { ALLOW_SIMULATED_OPTION, refuseMixedSimulation } from "./simulation_guard.ts";
import { QUERY_VIEWS, queryStudies } from "../results/query_studies.ts";
import { UsageError } from "../errors/usage_error.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_code.ts";
import { formatTable } from "./format_table.ts";
import { csvLine } from "./render_results.ts";

const FORMATS = ["table", "csv", "json"] as const;

/** `llem query SQL [DIR...]`: DuckDB SQL over studies' manifests, results, timeseries and requests. */
export const queryCommand: Command = {
  name: "query",
  usage: "SQL [DIR...] [--format table|csv|json]",
  description: "Run one SQL statement (DuckDB) over studies: DIR is a study directory or a folder of them " +
    "(default: results). Views: " +
    Object.entries(QUERY_VIEWS).map(([name, what]) => `${name}, ${what}`).join("; ") +
    ". Files are read where they are; nothing is copied or downloaded.",
  positionals: ["SQL", "DIR...?"],
  options: [
    {
      name: "format",
      type: "string",
      value: "F",
      description: `output: ${FORMATS.join(", ")} (default table)`,
    },
    ALLOW_SIMULATED_OPTION,
  ],
  examples: [
    ["llem query 'select status, count(*) from runs group by status'", "runs of every study in results/"],
    [
      "llem query 'select run_dir, avg(power_w) from timeseries group by run_dir' results/my-study_*",
      "mean power per run",
    ],
  ],
  async run(args, io) {
    const format = (args.values.format as string | undefined) ?? "table";
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`unknown format "${format}"`, `choose one of ${FORMATS.join(", ")}`);
    }
    const [sql, ...given] = args.positionals;
    const dirs = given.length ? given : ["results"];
    refuseMixedSimulation(
      dirs.flatMap((dir) => findStudyDirs(dir)).map((dir) => ({
        dir,
        simulated: readManifest(dir).simulated,
      })),
      args.values["allow-simulated"] === true,
    );
    const answer = await queryStudies(sql!, dirs);
    if (format === "json") io.out(JSON.stringify(answer.rows, null, 2) + "\n");
    else if (format === "csv") {
      const lines = [
        csvLine(answer.columns),
        ...answer.rows.map((row) => csvLine(answer.columns.map((c) => row[c]))),
      ];
      io.out(lines.join("\n") + "\n");
    } else {
      const cells = answer.rows.map((row) => answer.columns.map((c) => cellText(row[c])));
      io.out([...formatTable(answer.columns, cells, ""), `(${answer.rows.length} rows)`].join("\n") + "\n");
    }
    return EXIT.ok;
  },
};

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  return typeof value === "string" ? value : JSON.stringify(value);
}
