#!/usr/bin/env bash
# Build the single llem binary (default build/llem) with `deno compile`.
#
# usage: scripts/compile.sh [--self-extracting] [OUT]
#
# Default: the binary serves its files from inside itself and writes nothing beside itself. At run time llem
# copies out only what must be real files, each once and safely when many llems start at once, into its
# cache ($LLEM_CACHE_DIR): the harness (src/runners/materialize_harness.ts) and DuckDB's library, which Deno
# would otherwise write out without it (src/cli/prepare_duckdb.ts). This is the build for clusters.
#
# --self-extracting (Deno 2.7+): Deno unpacks the whole binary on its first start into .<name>/<hash>/ beside
# it, or, where that folder cannot be written, into $XDG_DATA_HOME or ~/.local/share/<name>/<hash>/. No
# variable or flag moves it, and Deno writes in place (a ".done" file last), so first starts at once race.
# This script therefore runs the new binary once, to unpack it beside itself before anyone else starts it:
# build it where it will stay (the unpacked tree holds absolute links), in a folder you can write.
#
# deno compile needs `denort`, the runtime for compiled programs, of the same version as deno. It is
# downloaded from dl.deno.land unless DENORT_BIN names a local copy (Deno reads that variable itself):
# on an air-gapped machine, copy denort-<target>.zip for this deno version from one that has network.
set -euo pipefail
usage="usage: scripts/compile.sh [--self-extracting] [OUT]"
self_extracting=()
case "${1:-}" in
  --self-extracting) self_extracting=(--self-extracting); shift ;;
  -h | --help) echo "$usage"; exit 0 ;;
  -*) printf 'compile: unknown option "%s"\n%s\n' "$1" "$usage" >&2; exit 2 ;;
esac
if [ $# -gt 1 ]; then
  printf 'compile: one output path at most, got %s arguments\n%s\n' "$#" "$usage" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
out=${1:-build/llem}
deno=./node_modules/.bin/deno
if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then
  echo "compile: DENORT_BIN=$DENORT_BIN is not an executable file" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
"$deno" compile "${self_extracting[@]}" \
  --allow-read --allow-write --allow-env --allow-ffi --allow-sys --allow-run \
  --include engines/harness.py --include engines/adapter_common.py \
  --include engines/transformers/adapter.py --include engines/vllm/adapter.py \
  --include engines/tensorrt/adapter.py --include engines/test_engine/adapter.py \
  --output "$out" main.ts
echo "compile: wrote $out ($(du -h "$out" | cut -f1))"
if [ ${#self_extracting[@]} -gt 0 ]; then
  binary="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
  name=$(basename "$out")
  unpacked="$(dirname "$binary")/.${name%.*}"
  "$binary" --version >/dev/null
  done_marker=$(find "$unpacked" -mindepth 2 -maxdepth 2 -name .done 2>/dev/null | head -n 1)
  if [ -z "$done_marker" ]; then
    echo "compile: $out did not unpack beside itself into $unpacked (is its folder writable?)" >&2
    exit 1
  fi
  echo "compile: unpacked into $(dirname "$done_marker") ($(du -sh "$unpacked" | cut -f1)); move the binary and run it once again"
fi
