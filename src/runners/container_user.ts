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

/**
 * Who the engine runs as, as `run` flags for the user llem runs as (`host`): `--user` containerUser(); and
 * for Podman run by anyone but root (rootless Podman), `--userns keep-id`, which maps that user to the same
 * ids inside the container, so what the engine writes to the exchange folder is the user's on the host.
 * Rootful Podman, like Docker, runs containers with the host's ids as they are: Podman 4.3 refuses keep-id
 * there ("keep-id is only supported in rootless mode"), and it would add nothing.
 */
export function containerUserFlags(
  runtime: "docker" | "podman",
  host: { uid: number; gid: number },
): string[] {
  const rootless = runtime === "podman" && host.uid !== 0;
  return ["--user", containerUser(host.uid, host.gid), ...(rootless ? ["--userns", "keep-id"] : [])];
}
