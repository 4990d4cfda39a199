#!/usr/bin/env bash
# Install everything the tests need (packages, chromium, services) and run lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/services.sh
ruff check .
ruff format --check .
mypy
# The broker fault test restarts the real RabbitMQ (stop_app/start_app) unless told not to
# (TEST_RESTART_BROKER=0 when others share the broker).
export TEST_RESTART_BROKER="${TEST_RESTART_BROKER:-1}"
python3 -m pytest -q -p no:cacheprovider "$@"
