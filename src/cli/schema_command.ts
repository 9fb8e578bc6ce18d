import { z } from "zod";
import { experimentSchema } from "../config/experiment_config.ts";
import { studyFileSchema } from "../config/study_config.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./usage_error.ts";

const SCHEMAS = { experiment: experimentSchema, study: studyFileSchema } as const;

/** `llem schema experiment|study`: the JSON Schema of config files, generated from the zod models. */
export const schemaCommand: Command = {
  name: "schema",
  usage: "experiment|study",
  description:
    "Print a JSON Schema (draft 2020-12) generated from the same models llem validates with, descriptions " +
    "and defaults included. Point your editor's YAML language server at it for completion and checking.",
  positionals: ["KIND"],
  options: [],
  examples: [
    ["llem schema study > llem-study.schema.json", "save the study schema"],
    ["llem schema experiment | jq '.properties | keys'", "list the top-level experiment keys"],
  ],
  run(args, io) {
    const kind = args.positionals[0]!;
    if (kind !== "experiment" && kind !== "study") {
      throw new UsageError(`unknown schema "${kind}"`, "choose experiment or study");
    }
    const schema = z.toJSONSchema(SCHEMAS[kind], { io: "input", unrepresentable: "any" });
    const titled = { title: `llem ${kind} config`, ...schema };
    io.out(JSON.stringify(titled, null, 2) + "\n");
    return 0;
  },
};
