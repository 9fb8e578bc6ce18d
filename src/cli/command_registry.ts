import type { CommandEntry } from "./command.ts";

/** Every `llem` subcommand, in the order `llem --help` lists them. Add a command here and in its own file. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "baseline",
    summary: "measure (or spot-check the cached) idle power of each GPU",
    load: async () => (await import("./baseline_command.ts")).baselineCommand,
  },
  {
    name: "demo",
    summary: "the whole pipeline on a simulated GPU (no GPU, engine or network): a study and its report",
    load: async () => (await import("./demo_command.ts")).demoCommand,
    usesDuckdb: true,
  },
  {
    name: "doctor",
    summary: "check this machine: NVML, driver, GPUs, container runtimes, disk; exit 3 when not ready",
    load: async () => (await import("./doctor_command.ts")).doctorCommand,
  },
  {
    name: "engines",
    summary: "list the engines, their pinned default images and the harness version",
    load: async () => (await import("./engines_command.ts")).enginesCommand,
  },
  {
    name: "export",
    summary: "a study in a peer's format: flat csv, ml-energy, zeus-csv, codecarbon-csv",
    load: async () => (await import("./export_command.ts")).exportCommand,
  },
  {
    name: "gpus",
    summary: "list the GPUs: UUID, memory, power limit, power and temperature now, energy counter support",
    load: async () => (await import("./gpus_command.ts")).gpusCommand,
  },
  {
    name: "images",
    summary: "save an engine's image to a file, or load one, for machines without a registry (and Apptainer)",
    load: async () => (await import("./images_command.ts")).imagesCommand,
  },
  {
    name: "init",
    summary: "print (or write) a commented starter experiment or study config",
    load: async () => (await import("./init_command.ts")).initCommand,
  },
  {
    name: "monitor",
    summary: "live power, energy since start, temperature, clocks and throttle reasons per GPU",
    load: async () => (await import("./monitor_command.ts")).monitorCommand,
  },
  {
    name: "plan",
    summary: "expand a study: funnel, skipped points, runs in order, hashes, least wall time",
    load: async () => (await import("./plan_command.ts")).planCommand,
  },
  {
    name: "query",
    summary: "SQL (DuckDB) over studies: views runs, experiments, timeseries, requests",
    load: async () => (await import("./query_command.ts")).queryCommand,
    usesDuckdb: true,
  },
  {
    name: "report",
    summary: "one self-contained HTML report: tables, charts (static SVG) and methodology, offline",
    load: async () => (await import("./report_command.ts")).reportCommand,
  },
  {
    name: "results",
    summary:
      "summarise studies: a row per experiment, metrics across cycles ±95% CI, flags; text, JSON or CSV",
    load: async () => (await import("./results_command.ts")).resultsCommand,
  },
  {
    name: "run",
    summary: "measure an experiment or study end to end: results, timeseries, manifest; resumable",
    load: async () => (await import("./run_command.ts")).runCommand,
    usesDuckdb: true,
  },
  {
    name: "schema",
    summary: "print the JSON Schema of configs (experiment, study) or of result.json",
    load: async () => (await import("./schema_command.ts")).schemaCommand,
  },
  {
    name: "slurm",
    summary: "an sbatch array script running one study as N shards into one directory; status of each shard",
    load: async () => (await import("./slurm_command.ts")).slurmCommand,
  },

  {
    name: "validate",
    summary: "stability checks per run and across cycles (window, power, temperature, throttling); --strict",
    load: async () => (await import("./validate_command.ts")).validateCommand,
  },
];
