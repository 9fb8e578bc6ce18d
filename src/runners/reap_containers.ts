import { LLEM_HOST_LABEL, LLEM_OWNER_LABEL } from "./container_labels.ts";
import { ownerLiveness } from "./owner_liveness.ts";
import { removeContainers } from "./remove_containers.ts";
import { runProgram } from "./run_program.ts";
import process from "node:process";

/**
 * Remove the containers of llems that are gone: those labelled with an owner (LLEM_OWNER_LABEL) on this
 * machine whose owner record says its llem no longer runs (ownerLiveness()). A live llem's containers,
 * another machine's (a shared daemon), another user's llem's that this one may not judge, and containers
 * without an owner label (from an llem before owner labels) are left alone. Returns the ids that are gone
 * (removeContainers()); a runtime that is missing or does not answer has none to remove.
 */
export async function reapContainers(
  runtime: "docker" | "podman",
  here: { hostname: string },
): Promise<string[]> {
  const listed = await runProgram(
    [runtime, "ps", "--all", "--quiet", "--no-trunc", "--filter", `label=${LLEM_OWNER_LABEL}`],
    { timeoutMs: 10_000 },
  );
  const ids = listed.code === 0 ? listed.stdout.split("\n").map((id) => id.trim()).filter(Boolean) : [];
  if (ids.length === 0) return [];
  // `inspect` reads labels the same way in Docker and Podman (their `ps --format` templates differ).
  const inspected = await runProgram(
    [runtime, "inspect", "--format", "{{.Id}} {{json .Config.Labels}}", ...ids],
    { timeoutMs: 10_000 },
  );
  const stale = inspected.stdout.split("\n").flatMap((line) => {
    const space = line.indexOf(" ");
    if (space < 0) return [];
    const labels = JSON.parse(line.slice(space + 1)) as Record<string, string> | null;
    const owner = labels?.[LLEM_OWNER_LABEL];
    if (!owner || labels?.[LLEM_HOST_LABEL] !== here.hostname) return [];
    return ownerGone(owner) ? [line.slice(0, space)] : [];
  });
  if (stale.length === 0) return [];
  return await removeContainers(runtime, stale);
}

/**
 * Whether a container's owner is gone: its record's lock is free; or, with no record visible here (a /tmp
 * private to another Slurm job or service shares this daemon and host name), no process has the pid its
 * record's name holds (`<host>-<pid>-<id>`). A pid that exists, perhaps reused, keeps the container: a
 * leftover kept is better than a live measurement's engine removed.
 */
function ownerGone(owner: string): boolean {
  const liveness = ownerLiveness(owner);
  if (liveness !== "absent") return liveness === "dead";
  const pid = Number(owner.match(/-(\d+)-[^-/]+$/)?.[1]);
  if (!Number.isSafeInteger(pid) || pid < 1) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
}
