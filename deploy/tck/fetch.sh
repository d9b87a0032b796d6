#!/usr/bin/env bash
# Fetches the Eclipse Dataspace TCK (pinned in deploy/tck/pom.xml) from Maven Central into
# .local/tck-libs, once per version of the pom. Used by `make tck-fetch` (part of `make test`) and by
# the TCK test itself, so a fresh clone needs nothing but Java 17+ and Maven.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/.local/tck-libs"
POM="$ROOT/deploy/tck/pom.xml"
VERSION="$(sed -n 's:.*<dsp.tck.version>\(.*\)</dsp.tck.version>.*:\1:p' "$POM")"
MARK="$OUT/.fetched-$VERSION-$(sha256sum "$POM" | cut -c1-16)"
if [[ -f "$MARK" ]]; then
  exit 0
fi
command -v mvn >/dev/null || { echo "[tck] Maven (mvn) is needed to fetch the DSP TCK" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
mvn -q -B -f "$POM" dependency:copy-dependencies -DoutputDirectory="$OUT"
touch "$MARK"
echo "[tck] DSP TCK $VERSION fetched into $OUT"
