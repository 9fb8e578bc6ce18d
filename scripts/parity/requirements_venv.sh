#!/usr/bin/env bash
# A virtual environment made from scripts/parity/NAME_requirements.txt, cached under .cache/venvs/ by the
# hash of that file. Prints the environment's python on its last line.
#
#   bash scripts/parity/requirements_venv.sh NAME           make it when missing (pip, from PyPI)
#   bash scripts/parity/requirements_venv.sh NAME --check   only say where it is; exit 1 when it is not there
set -euo pipefail
name=$1
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requirements="$here/${name}_requirements.txt"
hash=$(sha256sum "$requirements" | cut -c1-16)
venv="$repo/.cache/venvs/$name-$hash"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${2:-}" = "--check" ]; then
  echo "no $name environment at $venv: run bash scripts/parity/${name}_venv.sh" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
touch "$venv/.complete"
echo "$venv/bin/python"
