#!/usr/bin/env bash
# A C compiler and the headers of the Python that uv builds with, for the compiled record
# parser of datapark-contracts (libs/contracts/setup.py). The extension is optional there, so
# without them the package still installs and Envelope.from_kafka's Python code parses every
# record, but slower, and the contracts tests refuse that. Installed from Debian's packages when
# missing, as stack.sh installs Postgres.
#
#   bash scripts/ensure_cc.sh [python]        (make deps runs it before uv sync)
set -euo pipefail

python=${1:-python3}
packages=()
command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if [ ! -f "$include/Python.h" ]; then
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  packages+=("python$version-dev")
fi
[ ${#packages[@]} -eq 0 ] && exit 0
# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"
apt_install cc "${packages[@]}"
command -v cc >/dev/null 2>&1 || { echo "[cc] ERROR: no C compiler installed" >&2; exit 1; }
