#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine of this kind (run by build/test.sh).
# Idempotent: does nothing when everything is already there.
set -euo pipefail
need=()
# (Packages are added here as features need them: chromium for browser tests, postgresql for scale-out tests.)
REQUIRED_APT_PACKAGES+=(postgresql) # the scale-out tests start a throw-away cluster (build/postgres.sh)
REQUIRED_APT_PACKAGES+=(python3) # CorpusCoverageTests runs ../shared/workflows/coverage.py against a live server
REQUIRED_APT_PACKAGES+=(chromium) # the web UI's browser tests (test/ComfySharp.WebUI.Tests) drive /usr/bin/chromium
for pkg in "${REQUIRED_APT_PACKAGES[@]:-}"; do
  [ -n "$pkg" ] || continue
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
