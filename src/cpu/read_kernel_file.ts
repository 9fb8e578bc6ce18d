/** A kernel file's text, or the errno name of why it could not be read. */
export type KernelFileText = { text: string } | { error: "EACCES" | "ENOENT" | string };

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  13: "EACCES",
  20: "ENOTDIR",
  21: "EISDIR",
};

type Libc = Deno.DynamicLibrary<{
  open: { parameters: ["buffer", "i32"]; result: "i32" };
  read: { parameters: ["i32", "buffer", "usize"]; result: "isize" };
  close: { parameters: ["i32"]; result: "i32" };
  __errno_location: { parameters: []; result: "pointer" };
}>;

let libc: Libc | null | undefined;

/**
 * Read a small file under /sys (a RAPL counter) in microseconds. Deno opens files under /proc and /sys
 * only with --allow-all, which llem does not run with; `cat` (src/runners/read_system_file.ts) costs a
 * process per read, too slow and too late for a window's edge. So these reads go through the C library
 * (llem has --allow-ffi for NVML): open, read, close, as any program reads them, with the kernel's own
 * permission checks (EACCES for a counter readable by root only). Where no glibc or musl is found, Deno's
 * own read is used, which works outside /proc and /sys.
 */
export function readKernelFile(path: string): KernelFileText {
  const c = openLibc();
  if (c === null) return readWithDeno(path);
  const fd = c.symbols.open(new TextEncoder().encode(`${path}\0`), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return { error: errnoName(c) };
  try {
    const buffer = new Uint8Array(4096);
    const count = Number(c.symbols.read(fd, buffer, BigInt(buffer.length)));
    if (count < 0) return { error: errnoName(c) };
    return { text: new TextDecoder().decode(buffer.subarray(0, count)) };
  } finally {
    c.symbols.close(fd);
  }
}

function errnoName(c: Libc): string {
  const pointer = c.symbols.__errno_location();
  const errno = pointer === null ? 0 : new Deno.UnsafePointerView(pointer).getInt32();
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      libc = Deno.dlopen(name, {
        open: { parameters: ["buffer", "i32"], result: "i32" },
        read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
        close: { parameters: ["i32"], result: "i32" },
        __errno_location: { parameters: [], result: "pointer" },
      });
      break;
    } catch {
      // Not this C library: try the next.
    }
  }
  return libc;
}

function readWithDeno(path: string): KernelFileText {
  try {
    return { text: Deno.readTextFileSync(path) };
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) return { error: "EACCES" };
    if (error instanceof Deno.errors.NotFound) return { error: "ENOENT" };
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
