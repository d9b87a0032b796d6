#!/usr/bin/env bash
# Headless Chromium for the test that renders `datapark-audit report --html` and checks its
# charts are drawn. Installed from Debian's packages when missing, as stack.sh installs Postgres.
#
#   bash scripts/ensure_chromium.sh        (make test runs it)
set -euo pipefail

log() { echo "[chromium] $*"; }

# The report names companies in Chinese: a CJK font, or the names render as boxes.
if command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/wqy ]; then
  exit 0
fi
# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install chromium chromium fonts-dejavu-core fonts-wqy-zenhei
command -v chromium >/dev/null 2>&1 || { echo "[chromium] ERROR: chromium not installed" >&2; exit 1; }
log "installed $(chromium --version 2>/dev/null || echo chromium)"
