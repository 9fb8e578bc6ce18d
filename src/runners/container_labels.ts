import { LLEM_LABEL } from "./harness_launch.ts";

/** The label naming the llem that owns a container: the folder of its owner record (see LlemOwner). */
export const LLEM_OWNER_LABEL = "io.llem.owner";
/** The label naming the machine of that llem: a Docker daemon may serve several machines. */
export const LLEM_HOST_LABEL = "io.llem.host";

/** The llem a container belongs to, as its labels name it. */
export interface ContainerOwner {
  /** The owner record's folder; its lock says whether that llem still runs (ownerLiveness()). */
  dir: string;
  hostname: string;
}

/**
 * A container's labels as `--label` flags: the session, and the llem that owns it (for the reaper, which
 * removes a container only when that llem is gone).
 */
export function containerLabels(sessionId: string, owner: ContainerOwner | null | undefined): string[] {
  return [
    "--label",
    `${LLEM_LABEL}=${sessionId}`,
    ...(owner
      ? ["--label", `${LLEM_OWNER_LABEL}=${owner.dir}`, "--label", `${LLEM_HOST_LABEL}=${owner.hostname}`]
      : []),
  ];
}
