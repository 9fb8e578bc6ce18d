import { z } from "zod";
import { experimentSchema } from "../config/experiment_config.ts";
import { studyFileSchema } from "../config/study_config.ts";
import { experimentResultSchema } from "../results/result_schema.ts";
import type { Command } from "./command.ts";
import { UsageError } from "../errors/usage_error.ts";
import { EXIT } from "./exit_code.ts";

/** Each kind: its zod model, whether it describes what llem reads (config) or writes (result), and a title. */
const SCHEMAS = {
  experiment: { schema: experimentSchema, io: "input", title: "llem experiment config" },
  study: { schema: studyFileSchema, io: "input", title: "llem study config" },
  result: { schema: experimentResultSchema, io: "output", title: "llem result.json (schema 4.0)" },
} as const;

type SchemaKind = keyof typeof SCHEMAS;

const KINDS = Object.keys(SCHEMAS) as SchemaKind[];

const isKind = (kind: string): kind is SchemaKind => (KINDS as string[]).includes(kind);

/** `llem schema experiment|study|result`: the JSON Schema of config files and result.json, from the zod models. */
export const schemaCommand: Command = {
  name: "schema",
  usage: "experiment|study|result",
  description:
    "Print a JSON Schema (draft 2020-12) generated from the same models llem validates with, descriptions " +
    "and units included: experiment and study describe config files (with defaults; point your editor's " +
    "YAML language server at them), result describes the result.json of every run.",
  positionals: ["KIND"],
  options: [],
  examples: [
    ["llem schema study > llem-study.schema.json", "save the study schema"],
    ["llem schema experiment | jq '.properties | keys'", "list the top-level experiment keys"],
    ["llem schema result | jq '.properties.mj_per_tok_adjusted'", "what a result field means"],
  ],
  run(args, io) {
    const kind = args.positionals[0]!;
    if (!isKind(kind)) throw new UsageError(`unknown schema "${kind}"`, "choose experiment, study or result");
    const { schema, io: direction, title } = SCHEMAS[kind];
    const jsonSchema = z.toJSONSchema(schema, { io: direction, unrepresentable: "any" });
    io.out(JSON.stringify({ title, ...jsonSchema }, null, 2) + "\n");
    return EXIT.ok;
  },
};
