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
# The licensed real-data set lives beside the office's main checkout (../shared/realdata); a
# clean clone elsewhere on that machine (CI) is pointed at it, so its tests run there too.
if [ -z "${TEST_REALDATA:-}" ] && [ ! -d ../shared/realdata ] && [ -d /work/shared/realdata ]; then
    export TEST_REALDATA=/work/shared/realdata
fi
python3 -m pytest -q -p no:cacheprovider "$@"
