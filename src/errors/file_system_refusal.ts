/** Why the file system refused a write, read from the operating system's error code. */
export interface FileSystemRefusal {
  /** The file system (or the user's quota) is full: ENOSPC, EDQUOT. */
  full: boolean;
  /** What the code means, for a message: "no space left on its file system", "the file system is read-only". */
  reason: string;
}

/** Error codes for a file system, or a user's quota, that is full. */
const FULL = new Map([
  ["ENOSPC", "no space left on its file system"],
  ["EDQUOT", "the user's disk quota is exceeded"],
]);
/** Error codes for a file system or file llem may not write. */
const NOT_WRITABLE = new Map([
  ["EROFS", "the file system is read-only"],
  ["EACCES", "permission denied"],
  ["EPERM", "operation not permitted"],
]);

/**
 * The refusal an error's code (Deno's file-system errors carry the operating system's, such as "EROFS", as
 * `code`) stands for, or null when it is not one: a full file system or quota, or one llem may not write.
 */
export function fileSystemRefusal(code: unknown): FileSystemRefusal | null {
  if (typeof code !== "string") return null;
  const full = FULL.get(code);
  if (full) return { full: true, reason: full };
  const reason = NOT_WRITABLE.get(code);
  return reason ? { full: false, reason } : null;
}
