import type { ExperimentConfig } from "../config/experiment_config.ts";
import type { ConcreteRunner } from "./concrete_runner.ts";
import { containerIds } from "./container_user.ts";
import { leaseLlemOwner } from "./lease_llem_owner.ts";
import { removeQuietly } from "./llem_owner.ts";
import { pathExists } from "./path_exists.ts";
import { writeSecretsFile } from "./secrets_file.ts";
import { localModelPath } from "./session_launch.ts";
import { usableSecrets } from "./usable_secrets.ts";

/** A session's files on the host, and the owner its containers are labelled with. */
export interface SessionFiles {
  /** The writable folder shared with the engine. */
  exchangeDir: string;
  /**
   * Apptainer's --workdir: the container's /tmp, /var/tmp and $HOME, on the host's disk rather than in the
   * session's small tmpfs (`sessiondir max size`, 64 MiB by default). Null for the other runners.
   */
  workDir: string | null;
  /** The secrets the engine can use (usableSecrets()), in a file; null when there are none. */
  secretsFile: string | null;
  /** This llem's owner record, for the container's labels (the reaper judges them by it). */
  owner: { dir: string; hostname: string };
  /** Remove the files; best effort, and only once. */
  release(): void;
}

/**
 * Make a session's exchange folder and secrets file inside this llem's owner folder (leaseLlemOwner()), so
 * they are private to llem's user on the host and reaped when a killed llem leaves them. Container runners
 * may run the engine as other ids than llem's (nobody, when llem is root): the engine is given both.
 */
export function openSessionFiles(
  config: ExperimentConfig,
  given: {
    runner: ConcreteRunner;
    host: { uid: number; gid: number; cwd: string };
    secrets: Readonly<Record<string, string>>;
    /** $TMPDIR, else /tmp: where llem's private folder is (StudyLocations.tmpDir). */
    tmpDir: string;
  },
): SessionFiles {
  const { host, runner } = given;
  const engineIds = containerIds(host.uid, host.gid);
  const container = runner === "docker" || runner === "podman";
  const engineOwner = container && engineIds.uid !== host.uid ? engineIds : null;
  const secrets = usableSecrets(config, {
    secrets: given.secrets,
    localModel: localModelPath(config.model, host.cwd, pathExists) !== null,
  });
  const lease = leaseLlemOwner(given.tmpDir);
  let exchangeDir = "";
  let workDir: string | null = null;
  let file: { path: string; remove(): void } | null = null;
  try {
    exchangeDir = Deno.makeTempDirSync({ dir: lease.dir, prefix: "exchange-" });
    if (runner === "apptainer") workDir = Deno.makeTempDirSync({ dir: lease.dir, prefix: "workdir-" });
    if (engineOwner) Deno.chownSync(exchangeDir, engineOwner.uid, engineOwner.gid);
    file = Object.keys(secrets).length
      ? writeSecretsFile(secrets, { tmpDir: given.tmpDir, owner: engineOwner })
      : null;
  } catch (error) {
    if (exchangeDir) removeQuietly(exchangeDir);
    if (workDir) removeQuietly(workDir);
    lease.release();
    throw error;
  }
  let released = false;
  return {
    exchangeDir,
    workDir,
    secretsFile: file?.path ?? null,
    owner: { dir: lease.dir, hostname: lease.hostname },
    release() {
      if (released) return;
      released = true;
      // Best effort: a folder the engine removed or left unremovable must not turn a failure into a crash.
      const removals = [
        () => file?.remove(),
        () => removeQuietly(exchangeDir),
        () => workDir && removeQuietly(workDir),
        () => lease.release(),
      ];
      for (const remove of removals) {
        try {
          remove();
        } catch { /* already gone, or not ours to remove */ }
      }
    },
  };
}
