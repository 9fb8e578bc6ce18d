import { LlemError } from "../errors/llem_error.ts";
import { join } from "node:path";

/** The folder of per-GPU lock files, shared by every user of the machine. */
export function gpuLockDir(env: Record<string, string | undefined>): string {
  return env.LLEM_LOCK_DIR ?? "/tmp/llem-gpu-locks";
}

/** Who holds a GPU lock, as its holder wrote it. */
export interface LockHolder {
  pid: number;
  hostname: string;
  study: string;
  since: string;
}

/** A GPU is measured by another llem and the caller asked not to wait (exit 3). */
export class GpuBusy extends LlemError {
  readonly kind = "not_ready";

  constructor(readonly uuid: string, readonly holder: LockHolder | null) {
    super(
      `GPU ${uuid} is being measured by another llem` +
        (holder
          ? ` (pid ${holder.pid} on ${holder.hostname}, study ${holder.study}, since ${holder.since})`
          : ""),
      "wait for it to finish (run without --no-wait to queue behind it), or choose other GPUs with --gpus",
    );
  }
}

/** Held locks; release() gives them all back (the kernel also does, if llem dies). */
export interface GpuLocks {
  release(): void;
}

/**
 * Take an advisory lock per GPU UUID (flock on `<dir>/<uuid>.lock`), so two llem processes never measure
 * the same GPU at once. A lock held elsewhere is waited for, after `onWait` says who holds it, or
 * refused at once with GpuBusy when `wait` is false. Locks die with the process, even under kill -9.
 */
export async function acquireGpuLocks(
  uuids: readonly string[],
  options: {
    dir: string;
    wait: boolean;
    holder: LockHolder;
    onWait?: (uuid: string, holder: LockHolder | null) => void;
    signal?: AbortSignal;
  },
): Promise<GpuLocks> {
  Deno.mkdirSync(options.dir, { recursive: true });
  try {
    // Every user of the machine shares the folder (sticky, like /tmp).
    Deno.chmodSync(options.dir, 0o1777);
  } catch { /* created by another user: fine */ }
  const held: Deno.FsFile[] = [];
  const release = () => {
    for (const file of held.splice(0)) {
      try {
        file.unlockSync();
      } catch { /* closing releases it too */ }
      file.close();
    }
  };
  try {
    for (const uuid of [...uuids].sort()) {
      const path = join(options.dir, `${uuid.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`);
      const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o666 });
      try {
        // The umask took bits from `mode`: every user's llem must be able to open the lock for writing.
        Deno.chmodSync(path, 0o666);
      } catch { /* another user's file: they made it 0666 */ }
      const locked = file.lock(true);
      const first = await Promise.race([locked.then(() => true), delay(150).then(() => false)]);
      if (!first) {
        const holder = readHolder(path);
        if (!options.wait) {
          // The pending lock request would be granted later; closing the file abandons it.
          file.close();
          locked.catch(() => {});
          throw new GpuBusy(uuid, holder);
        }
        options.onWait?.(uuid, holder);
        await abortable(locked, { signal: options.signal, onAbort: () => file.close() });
      }
      held.push(file);
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      file.writeSync(new TextEncoder().encode(JSON.stringify(options.holder) + "\n"));
    }
  } catch (error) {
    release();
    throw error;
  }
  return { release };
}

function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as LockHolder;
  } catch {
    return null;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function abortable(
  promise: Promise<void>,
  { signal, onAbort }: { signal: AbortSignal | undefined; onAbort: () => void },
) {
  if (!signal) return await promise;
  signal.throwIfAborted();
  let listener = () => {};
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", listener, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener("abort", listener);
  }
}
