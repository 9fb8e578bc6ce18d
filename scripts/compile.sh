#!/usr/bin/env bash
# Build the single llem binary (default build/llem) with `deno compile`: the harness folder is embedded
# and copied out at run time into llem's cache (see src/runners/materialize_harness.ts).
#
# deno compile needs `denort`, the runtime for compiled programs, of the same version as deno. It is
# downloaded from dl.deno.land unless DENORT_BIN names a local copy (Deno reads that variable itself):
# on an air-gapped machine, copy denort-<target>.zip for this deno version from one that has network.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/llem}
deno=./node_modules/.bin/deno
if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then
  echo "compile: DENORT_BIN=$DENORT_BIN is not an executable file" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
"$deno" compile \
  --allow-read --allow-write --allow-env --allow-ffi --allow-sys --allow-run \
  --include engines/harness.py --include engines/adapter_common.py \
  --include engines/transformers/adapter.py --include engines/vllm/adapter.py \
  --include engines/tensorrt/adapter.py --include engines/test_engine/adapter.py \
  --output "$out" main.ts
echo "compile: wrote $out ($(du -h "$out" | cut -f1))"
