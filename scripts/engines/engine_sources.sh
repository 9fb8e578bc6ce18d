#!/usr/bin/env bash
# The real source of the engine versions llem's adapters are checked against, for the contract tests
# (engines/tests/test_engine_contracts.py): vLLM's source distribution from PyPI, its checksum pinned here,
# unpacked (Python files only) under .cache/engine-sources/. Prints the folder on its last line.
#
#   bash scripts/engines/engine_sources.sh           download and unpack when missing
#   bash scripts/engines/engine_sources.sh --check   only say where it is; exit 1 when it is not there
#
# TensorRT-LLM publishes only a placeholder source distribution on PyPI (its wheels live on NVIDIA's own
# index, which these machines cannot reach): its adapter has no snapshot, and its fakes are written by hand
# (engines/README.md).
set -euo pipefail
VLLM_VERSION="0.33.0"
VLLM_SHA256="f4c33c2503d52bb411146afa9618a4f48bed68912f617e6803ac8d76e4c74112"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="$repo/.cache/engine-sources/vllm-$VLLM_VERSION"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "no vLLM $VLLM_VERSION source at $dest: run bash scripts/engines/engine_sources.sh" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name="vllm-$VLLM_VERSION.tar.gz"
url=$(curl -fsS --max-time 60 "https://pypi.org/simple/vllm/" | grep -o "href=\"[^\"]*/$name#[^\"]*\"" | head -1 |
  sed -E 's/^href="//; s/#.*//')
[ -n "$url" ] || { echo "PyPI's index lists no $name" >&2; exit 1; }
curl -fsSL --max-time 600 -o "$work/$name" "$url"
echo "$VLLM_SHA256  $work/$name" | sha256sum --check --quiet
tar -xzf "$work/$name" -C "$work" --wildcards "vllm-$VLLM_VERSION/vllm/*.py"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/vllm-$VLLM_VERSION" "$dest"
echo "sdist $name sha256:$VLLM_SHA256" >"$dest/.complete"
echo "$dest"
