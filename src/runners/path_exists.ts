/** Whether a path exists on this host (what a LaunchHost's `exists` is, outside tests). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
