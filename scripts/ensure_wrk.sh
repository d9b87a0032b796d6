#!/usr/bin/env bash
# wrk, the HTTP load generator of bench/booking.py (C, one epoll loop a thread, Lua hooks): the
# booking bench's client must cost far less CPU a request than the service it measures, as
# pgbench does beside it. Installed from Debian's packages when missing, as stack.sh installs
# Postgres.
#
#   bash scripts/ensure_wrk.sh        (make bench and make profile run it)
set -euo pipefail

log() { echo "[wrk] $*"; }

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install wrk wrk
command -v wrk >/dev/null 2>&1 || { echo "[wrk] ERROR: wrk not installed" >&2; exit 1; }
log "installed $(dpkg-query -W -f '${Package} ${Version}' wrk 2>/dev/null || echo wrk)"
