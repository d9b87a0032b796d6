#!/usr/bin/env bash
# The official AsyncAPI parser (@asyncapi/parser, npm registry) for the test that parses
# libs/contracts/schemas/asyncapi.json (tests/unit/contracts/test_contracts_asyncapi.py).
# Node.js and npm come from Debian's packages when missing; the parser is installed with
# `npm ci` from package-lock.json into tools/asyncapi/node_modules (ignored by git), again only
# when the lock file changed since the last install.
#
#   bash tools/asyncapi/setup.sh        (make test runs it; the test runs it when needed)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[asyncapi] $*"; }
run_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "[asyncapi] ERROR: need root to run: $*" >&2; exit 1; fi
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing (apt): nodejs npm"
  run_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then
  echo "[asyncapi] ERROR: Node.js $(node --version) is too old; @asyncapi/parser needs 18+" >&2
  exit 1
fi

# npm ci records what it installed in node_modules/.package-lock.json
stamp="$here/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ ! "$here/package-lock.json" -nt "$stamp" ]; then
  exit 0
fi
log "npm ci in tools/asyncapi"
# no install scripts: the parser needs none (one dependency's is an analytics ping)
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
version="$(cd "$here" && node -p 'require("@asyncapi/parser/package.json").version')"
log "installed @asyncapi/parser $version"
