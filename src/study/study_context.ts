import type { Gpu } from "../gpu/gpu.ts";
import type { RunnerChoice } from "../runners/concrete_runner.ts";
import type { HostEnvironment } from "./host_environment.ts";
import type { BaselineOutcome } from "./resolve_baselines.ts";
import type { SampleStream } from "./sample_stream.ts";
import type { StudyPhase } from "./study_events.ts";
import type { StudyPorts } from "./study_ports.ts";
import type { StudyRecord } from "./study_record.ts";
import type { StudyRequest } from "./study_request.ts";

/** What runStudy() is given besides its ports: the request, and what preflight decided. */
export interface StudySetup {
  request: StudyRequest;
  /** The runner of each experiment, by experiment id (preflight resolved `auto`). */
  runners: ReadonlyMap<number, RunnerChoice>;
  /** The harness folder sessions start from (materialized from the request's source). */
  harnessDir: string;
  /** The host, for every result's environment. */
  host: HostEnvironment;
}

/** Everything the parts of a running study share; built once the sampler runs. */
export interface StudyContext extends StudySetup {
  ports: StudyPorts;
  record: StudyRecord;
  stream: SampleStream;
  /** The GPUs of each experiment, in the experiment's order, by experiment id. */
  gpusOf: ReadonlyMap<number, Gpu[]>;
  /** Bare-idle baselines by GPU UUID (empty when no experiment asks for one). */
  baselines: ReadonlyMap<string, BaselineOutcome>;
}

/** Tell the listener what the study is doing now. */
export function reportPhase(
  context: Pick<StudyContext, "ports">,
  phase: { name: StudyPhase; run: number | null; detail: string },
): void {
  context.ports.onEvent({ type: "phase", phase: phase.name, run: phase.run, detail: phase.detail });
}
