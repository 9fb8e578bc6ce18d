#!/usr/bin/env bash
# CodeCarbon's wheel (pinned, no dependencies: only its source is read) for the contract test of llem's
# codecarbon-csv export, cached under .cache/wheels/. Prints the wheel's path on its last line.
#
#   bash scripts/parity/codecarbon_wheel.sh           download it when missing (pip, from PyPI)
#   bash scripts/parity/codecarbon_wheel.sh --check   only say where it is; exit 1 when it is not there
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
version=3.3.2
dir="$repo/.cache/wheels"
wheel="$dir/codecarbon-$version-py3-none-any.whl"
if [ -f "$wheel" ]; then
  echo "$wheel"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "no CodeCarbon wheel at $wheel: run bash scripts/parity/codecarbon_wheel.sh" >&2
  exit 1
fi
mkdir -p "$dir"
python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$dir" "codecarbon==$version"
echo "$wheel"
