/**
 * A stand-in for an llem that runs a container: it takes an owner record (leaseLlemOwner(), under $TMPDIR as
 * llem's), starts a detached container of IMAGE in RUNTIME (docker or podman) labelled like a session's (a
 * container that outlives its llem, as one whose client was killed may), prints the container's id and
 * waits to be killed.
 *
 *     deno run <llem's permissions> tests/stand_in_llem.ts RUNTIME IMAGE SESSION_ID [HOSTNAME]
 *
 * HOSTNAME labels the container as another machine's.
 */
import { containerLabels } from "../src/runners/container_labels.ts";
import { leaseLlemOwner } from "../src/runners/lease_llem_owner.ts";
import { tmpDirOf } from "../src/runners/llem_runtime_dir.ts";
import { runProgram } from "../src/runners/run_program.ts";

const [runtime, image, sessionId, hostname] = Deno.args;
const owner = leaseLlemOwner(tmpDirOf(Deno.env.toObject()));
const started = await runProgram([
  runtime!,
  "run",
  "--detach",
  "--network",
  "none",
  ...containerLabels(sessionId!, { dir: owner.dir, hostname: hostname ?? owner.hostname }),
  "--entrypoint",
  "python3",
  image!,
  "-c",
  "import time; time.sleep(3600)",
], { timeoutMs: 60_000 });
if (started.code !== 0) throw new Error(`${runtime} run failed: ${started.stderr}`);
console.log(started.stdout.trim());
// Keep running until killed.
setInterval(() => {}, 1 << 30);
