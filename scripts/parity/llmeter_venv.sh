#!/usr/bin/env bash
# A virtual environment with LLMeter for the parity test, cached under .cache/venvs/ by the hash of its
# requirements. Prints the environment's python on its last line.
#
#   bash scripts/parity/llmeter_venv.sh           make it when missing (pip, from PyPI)
#   bash scripts/parity/llmeter_venv.sh --check   only say where it is; exit 1 when it is not there
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requirements="$here/llmeter_requirements.txt"
hash=$(sha256sum "$requirements" | cut -c1-16)
venv="$repo/.cache/venvs/llmeter-$hash"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "no LLMeter environment at $venv: run bash scripts/parity/llmeter_venv.sh" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
touch "$venv/.complete"
echo "$venv/bin/python"
