/**
 * A read-only file system at `path` (a tmpfs, filled by `fill` while it is still writable), and the function
 * that unmounts it; null where mounting is not allowed (not root). Root may write anywhere else, so a
 * read-only mount is the one way a test run as root meets EROFS.
 */
export function mountReadOnly(path: string, fill: (dir: string) => void = () => {}): (() => void) | null {
  Deno.mkdirSync(path, { recursive: true });
  if (!mount(["-t", "tmpfs", "-o", "size=512m", "tmpfs", path])) return null;
  const unmount = () => void new Deno.Command("umount", { args: ["-l", path] }).outputSync();
  try {
    fill(path);
    if (!mount(["-o", "remount,ro", path])) throw new Error(`cannot remount ${path} read-only`);
  } catch (error) {
    unmount();
    throw error;
  }
  return unmount;
}

function mount(args: string[]): boolean {
  return new Deno.Command("mount", { args, stderr: "null" }).outputSync().success;
}

/**
 * Run `body` with a read-only file system at `path` (filled by `fill` first), unmounted afterwards; where
 * mounting is not allowed (not root), a step that shows as skipped instead.
 */
export async function withReadOnlyMount(
  t: Deno.TestContext,
  mount: { path: string; fill?: (dir: string) => void; body: (dir: string) => void | Promise<void> },
): Promise<void> {
  const unmount = mountReadOnly(mount.path, mount.fill);
  if (!unmount) {
    await t.step({ name: "SKIPPED: mounting a read-only tmpfs needs root", ignore: true, fn: () => {} });
    return;
  }
  try {
    await mount.body(mount.path);
  } finally {
    unmount();
  }
}
