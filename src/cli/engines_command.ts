import { PROTOCOL_VERSION } from "../engines/harness_protocol.ts";
import { ENGINE_IDS } from "../engines/engine_id.ts";
import { ENGINES, HARNESS_VERSION } from "../engines/engine_registry.ts";
import type { Command } from "./command.ts";
import { formatTable } from "./format_table.ts";
import { EXIT } from "./exit_code.ts";

/** `llem engines`: the engines, their default images and the harness version. */
export const enginesCommand: Command = {
  name: "engines",
  usage: "[--json]",
  description:
    "List the inference engines llem drives, the pinned container image each uses by default (override " +
    "with image: in a config), the Python package its adapter reports, the engine version its adapter was " +
    "checked against and how, and the harness protocol version.",
  positionals: [],
  options: [{ name: "json", type: "boolean", description: "print one JSON document" }],
  examples: [["llem engines", "the table"]],
  run(args, io) {
    const rows = ENGINE_IDS.map((id) => ENGINES[id]);
    if (args.values.json) {
      io.out(
        JSON.stringify(
          {
            harness_version: HARNESS_VERSION,
            protocol: PROTOCOL_VERSION,
            engines: rows.map((e) => ({
              id: e.id,
              name: e.displayName,
              default_image: e.defaultImage,
              package: e.pythonPackage,
              checked_version: e.checked.version,
              checked_how: e.checked.how,
            })),
          },
          null,
          2,
        ) + "\n",
      );
      return EXIT.ok;
    }
    io.out(`harness ${HARNESS_VERSION}, protocol ${PROTOCOL_VERSION}\n`);
    io.out(
      formatTable(
        ["engine", "name", "default image", "package", "checked against"],
        rows.map((e) => [e.id, e.displayName, e.defaultImage, e.pythonPackage, e.checked.version]),
        "",
      )
        .join("\n") + "\n",
    );
    io.out("\nhow each adapter was checked:\n");
    for (const e of rows) io.out(`  ${e.id}: ${e.checked.how}\n`);
    return EXIT.ok;
  },
};
