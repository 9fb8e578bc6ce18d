import { z } from "zod";

/** Orders in which a study's runs can execute. */
export const ORDERS = ["sequential", "interleave", "shuffle", "reverse", "latin_square"] as const;

/** One run order. */
export type Order = typeof ORDERS[number];

/** How a study executes: cycles, order, gaps, timeouts, failure limits, output. */
export const executionSchema = z.strictObject({
  n_cycles: z.int().min(1).max(1000).default(1)
    .describe("repetitions of every experiment, for means and confidence intervals"),
  order: z.enum(ORDERS).default("sequential")
    .describe(
      "sequential (AAABBB), interleave (ABAB), shuffle, reverse (AB BA), latin_square (Williams design)",
    ),
  shuffle_seed: z.int().min(0).max(0xFFFFFFFF).nullable().default(null)
    .describe("seed for order: shuffle; null = derived from the study design hash"),
  experiment_gap_seconds: z.number().min(0).max(86_400).default(0).describe("pause between experiments"),
  cycle_gap_seconds: z.number().min(0).max(86_400).default(0)
    .describe("pause between cycles (between experiments' blocks under order: sequential)"),
  experiment_timeout_seconds: z.number().gt(0).max(604_800).default(600)
    .describe("kill an experiment that runs longer than this"),
  silence_timeout_seconds: z.number().min(0).max(86_400).default(300)
    .describe("kill an engine that prints nothing for this long; 0 = never"),
  max_consecutive_failures: z.int().min(0).max(100_000).default(10)
    .describe("stop the study after this many failures in a row; 0 = never"),
  wall_clock_timeout_hours: z.number().gt(0).nullable().default(null)
    .describe("skip the remaining runs after this long; null = no limit"),
  deduplicate: z.boolean().default(true).describe("run identical resolved configs once"),
  reuse_sessions: z.boolean().default(true)
    .describe("keep a model loaded across consecutive experiments that load it identically"),
  output_dir: z.string().min(1).default("results").describe("folder that receives the study directory"),
}).prefault({});

/** Resolved execution settings. */
export type ExecutionConfig = z.output<typeof executionSchema>;
