#!/usr/bin/env bash
# A virtual environment with the peers llem is benchmarked beside (peers_requirements.txt: Zeus), for
# scripts/bench_peers.ts. Prints the environment's python on its last line; --check only says where it is.
exec bash "$(dirname "$0")/requirements_venv.sh" peers "$@"
