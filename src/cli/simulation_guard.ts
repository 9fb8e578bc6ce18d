import { UsageError } from "../errors/usage_error.ts";
import type { OptionSpec } from "./command.ts";

/** The flag that lets results, report, query and export take simulated studies beside measured ones. */
export const ALLOW_SIMULATED_OPTION: OptionSpec = {
  name: "allow-simulated",
  type: "boolean",
  description: "take simulated studies (llem demo) together with measured ones, or export one",
};

/** A study as the guard sees it: where, and what was simulated (manifest.simulated). */
export interface GuardedStudy {
  dir: string;
  simulated?: string | null;
}

/**
 * Refuse, unless `allowed`, to put studies `llem demo` simulated beside studies measured on GPUs: a
 * simulated number must never pass for a measured one in a table, a chart or a query.
 */
export function refuseMixedSimulation(studies: readonly GuardedStudy[], allowed: boolean): void {
  if (allowed) return;
  const simulated = studies.filter((study) => study.simulated);
  if (simulated.length === 0 || simulated.length === studies.length) return;
  throw new UsageError(
    `${names(simulated)} ${simulated.length === 1 ? "is" : "are"} simulated (llem demo) and ` +
      `${names(studies.filter((study) => !study.simulated))} measured: together they would put simulated ` +
      "numbers beside measured ones",
    "leave the simulated studies out, or pass --allow-simulated to mix them anyway",
  );
}

/** Refuse, unless `allowed`, to export a simulated study into a peer's format, where nothing marks it. */
export function refuseSimulatedExport(study: GuardedStudy, allowed: boolean): void {
  if (allowed || !study.simulated) return;
  throw new UsageError(
    `${study.dir} is simulated (${study.simulated}): a peer's format has no field to say so`,
    "export a study measured on GPUs, or pass --allow-simulated to export this one anyway",
  );
}

function names(studies: readonly GuardedStudy[]): string {
  const shown = studies.slice(0, 3).map((study) => study.dir).join(", ");
  return studies.length > 3 ? `${shown} (and ${studies.length - 3} more)` : shown;
}
