#!/usr/bin/env bash
# A virtual environment with LLMeter (llmeter_requirements.txt) for the parity test of the per-request
# statistics. Prints the environment's python on its last line; --check only says where it is.
exec bash "$(dirname "$0")/requirements_venv.sh" llmeter "$@"
