#!/usr/bin/env bash
# Installs the Debian packages the test suite's real components need and
# starts the services (dockerd). Safe to run more than once. Needs root.
set -euo pipefail
packages=(curl wamerican chromium prometheus redis-server)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/ci-services.sh
