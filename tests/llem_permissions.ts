/** The permissions llem runs with (the `llem` task in deno.json, and the compiled binary). */
export const LLEM_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-run",
  "--allow-sys",
] as const;
