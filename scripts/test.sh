#!/usr/bin/env bash
# Install everything the tests need (packages, chromium, services) and run lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/services.sh
ruff check .
ruff format --check .
mypy
python3 -m pytest -q -p no:cacheprovider "$@"
