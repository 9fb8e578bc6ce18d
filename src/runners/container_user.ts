/** The ids a container runs as: the invoking user's, so files it writes are theirs; never root. */
export function containerIds(uid: number, gid: number): { uid: number; gid: number } {
  // llem run as root (sudo, a root shell on a cluster node) must not make the engine root: use nobody.
  return uid === 0 ? { uid: 65534, gid: 65534 } : { uid, gid };
}

/** containerIds() as Docker's and Podman's `--user uid:gid`. */
export function containerUser(uid: number, gid: number): string {
  const ids = containerIds(uid, gid);
  return `${ids.uid}:${ids.gid}`;
}
