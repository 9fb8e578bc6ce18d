import { DEFAULT_ENGINE, ENGINE_IDS, isEngineId } from "../engines/engine_id.ts";
import { starterConfig } from "../config/starter_config.ts";
import type { Command } from "./command.ts";
import { writeOutputFile } from "./write_output_file.ts";
import { UsageError } from "../errors/usage_error.ts";
import { EXIT } from "./exit_code.ts";

/** Model used by `llem init` when none is given: small, public, and supported by every engine. */
export const DEFAULT_INIT_MODEL = "Qwen/Qwen2.5-0.5B";

/** `llem init`: a commented starter experiment or study config. */
export const initCommand: Command = {
  name: "init",
  usage: "[--model M] [--engine E] [--study] [-o FILE]",
  description:
    "Print a starter config listing every key with its description and default, ready for `llem plan`. " +
    "With -o it writes the file instead, and refuses to overwrite an existing one.",
  positionals: [],
  options: [
    {
      name: "model",
      short: "m",
      type: "string",
      value: "M",
      description: `model id or path (${DEFAULT_INIT_MODEL})`,
    },
    {
      name: "engine",
      short: "e",
      type: "string",
      value: "E",
      description: `${ENGINE_IDS.join(" | ")} (transformers)`,
    },
    { name: "study", type: "boolean", description: "a study with a sweep and execution settings" },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "write to FILE (never overwrites)",
    },
  ],
  examples: [
    ["llem init > experiment.yaml", "one transformers experiment"],
    ["llem init --study --engine vllm -o study.yaml", "a vLLM sweep, written to study.yaml"],
  ],
  run(args, io) {
    const engine = (args.values.engine as string | undefined) ?? DEFAULT_ENGINE;
    if (!isEngineId(engine)) {
      throw new UsageError(`unknown engine "${engine}"`, `choose one of ${ENGINE_IDS.join(", ")}`);
    }
    const model = (args.values.model as string | undefined) ?? DEFAULT_INIT_MODEL;
    if (model.trim() === "") {
      throw new UsageError("--model is empty", "give a Hugging Face id or a local path");
    }
    const text = starterConfig({ model, engine, study: args.values.study === true });
    const output = args.values.output as string | undefined;
    if (output === undefined) {
      io.out(text);
      return EXIT.ok;
    }
    writeOutputFile(output, text, { createNew: true });
    io.err(`wrote ${output}; preview it with: llem plan ${output}\n`);
    return EXIT.ok;
  },
};
