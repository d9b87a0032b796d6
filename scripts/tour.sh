#!/usr/bin/env bash
# A first walk through the API of a running `make run`: the operator registers two companies
# and gives them credentials; one drafts a data product and submits it; the operator reviews it,
# which registers it with a certificate; the other company cannot see it.
#   OPERATOR_ID=<client_id> OPERATOR_SECRET=<client_secret> bash scripts/tour.sh
# (the operator's client id and secret are among the demo principals `make run` prints)
set -euo pipefail
cd "$(dirname "$0")/.."
CATALOG="http://127.0.0.1:${DATAPARK_CATALOG_PORT:-8001}"
say() { printf '\n== %s\n' "$*"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token() {
  curl -fsS -d grant_type=client_credentials -d client_id="$1" -d client_secret="$2" \
    "$CATALOG/v1/auth/token" | field '["access_token"]'
}
call() { # call METHOD PATH TOKEN [JSON]
  curl -sS -X "$1" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
    ${4:+-d "$4"} "$CATALOG$2"
}
new_uscc() { # a fresh Unified Social Credit Code with its check character, region 620102
  ${PYTHON:-python3} -m uv run --frozen python -c \
    'from datapark_catalog.participants.uscc import ALPHABET, check_character as c; import random
b = "91620102" + "".join(random.choice(ALPHABET) for _ in range(9)); print(b + c(b))'
}
company() { # company NAME -> prints a token of a newly registered, admitted company
  local id credential
  id=$(call POST /v1/participants "$OP" \
    "{\"name\": \"$1\", \"uscc\": \"$(new_uscc)\", \"region_code\": \"620102\"}" | field '["id"]')
  call POST "/v1/participants/$id/approve" "$OP" >/dev/null
  credential=$(call POST "/v1/participants/$id/credentials" "$OP" '{}')
  token "$(echo "$credential" | field '["client_id"]')" "$(echo "$credential" | field '["client_secret"]')"
}

OP=$(token "$OPERATOR_ID" "$OPERATOR_SECRET")
say "1-2. the operator registers two companies, admits them and gives each a credential"
CO=$(company "Lanzhou Grid Data Co.")
OTHER=$(company "Tianshui Logistics Data Co.")

say "3. the company drafts a data product and submits it for compliance review"
PRODUCT=$(call POST /v1/data-products "$CO" '{
  "title": "Substation load curves 2025", "description": "15-minute load of 120 substations.",
  "keywords": ["load", "grid"], "domain": "industrial_manufacturing", "product_form": "dataset",
  "classification": "general", "provenance": "collected", "update_frequency": "daily",
  "format": "parquet", "license": "datapark-standard-1.0", "contact": "data@grid.example",
  "sample_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}' \
  | field '["id"]')
call POST "/v1/data-products/$PRODUCT/submit" "$CO" | field '["state"]'

say "4. the operator reviews it with evidence: registered, with a certificate"
call POST "/v1/data-products/$PRODUCT/review" "$OP" '{"decision": "approved",
  "document_hashes": ["2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"]}' \
  | field '["certificate"]'

say "5. the other company cannot see it: HTTP $(curl -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $OTHER" "$CATALOG/v1/data-products/$PRODUCT")"
echo "API docs: $CATALOG/docs"
