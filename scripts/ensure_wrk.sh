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
run_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "[wrk] ERROR: need root to run: $*" >&2; exit 1; fi
}
log "installing (apt): wrk"
run_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  wrk >/dev/null
command -v wrk >/dev/null 2>&1 || { echo "[wrk] ERROR: wrk not installed" >&2; exit 1; }
log "installed $(dpkg-query -W -f '${Package} ${Version}' wrk 2>/dev/null || echo wrk)"
