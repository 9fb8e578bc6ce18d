import type { ApptainerProgram } from "./apptainer_argv.ts";

/** A runner that starts sessions (`runner: auto` already resolved to one of these). */
export type ConcreteRunner = "docker" | "podman" | "apptainer" | "process";

/** The runner an experiment uses, and why when `auto` chose it. */
export interface RunnerChoice {
  runner: ConcreteRunner;
  /** Why auto chose it (printed and recorded), or null for a runner the config named. */
  reason: string | null;
  /** The command that runs it, when not the runner's own name: `singularity` for apptainer (RuntimeProbe). */
  program?: ApptainerProgram;
}
