#!/usr/bin/env bash
# Set up a fresh machine for inspectpipe: system packages, Python packages (editable install).
# Usage: bash scripts/setup.sh [--dev]   (--dev adds test tools, chromium and the services)
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

apt_need=()
want=(fonts-noto-cjk fonts-wqy-zenhei fonts-dejavu-core fonts-liberation hershey-fonts-data libgl1 libglib2.0-0)
[ $dev = 1 ] && want+=(chromium)
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || apt_need+=("$p"); done
if [ ${#apt_need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing system packages: ${apt_need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null
fi

if [ $dev = 1 ]; then
  python3 -m pip install -q -e '.[dev]'
else
  python3 -m pip install -q -e .
fi
