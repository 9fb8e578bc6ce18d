#!/usr/bin/env bash
# A virtual environment with CPU PyTorch and transformers, for the tests that run the real transformers
# engine through llem (tests/transformers_engine_test.ts), cached under .cache/venvs/ by the hash of this
# script and its requirements. Prints the environment's python on its last line.
#
#   bash scripts/engines/transformers_venv.sh           make it when missing (pip, from PyPI)
#   bash scripts/engines/transformers_venv.sh --check   only say where it is; exit 1 when it is not there
#
# torch is installed on its own first, pinned to the CPU build: left to resolve it as a dependency, pip
# would take a CUDA build of several GB.
set -euo pipefail
TORCH="torch==2.13.0"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requirements="$here/transformers_requirements.txt"
hash=$( (echo "$TORCH"; cat "$requirements") | sha256sum | cut -c1-16)
venv="$repo/.cache/venvs/transformers-$hash"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "no transformers environment at $venv: run bash scripts/engines/transformers_venv.sh" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$TORCH"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch was installed'"
touch "$venv/.complete"
echo "$venv/bin/python"
