#!/usr/bin/env bash
# Install inspectpipe and run the demo on embedded defaults (local store, in-process bus, SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec inspectpipe demo "$@"
