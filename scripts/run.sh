#!/usr/bin/env bash
# Starts the four services (API + outbox relay + consumers each), waits until they are ready,
# seeds the demo principals and prints where everything is. Ctrl-C stops the services and the
# local Kafka and Postgres.
set -uo pipefail
cd "$(dirname "$0")/.."
UV="${PYTHON:-python3} -m uv"
declare -A PORTS=([catalog]=${DATAPARK_CATALOG_PORT:-8001} [trading]=${DATAPARK_TRADING_PORT:-8002}
               [rental]=${DATAPARK_RENTAL_PORT:-8003} [subsidy]=${DATAPARK_SUBSIDY_PORT:-8004})
pids=()

stop_all() {
  # A closed terminal or pipe must not cut the shutdown short.
  trap '' INT TERM PIPE
  trap - EXIT
  echo "[run] stopping services" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  bash deploy/local/stack.sh down 2>/dev/null || bash deploy/local/stack.sh down >/dev/null 2>&1
  exit 0
}
trap stop_all INT TERM EXIT

for svc in catalog trading rental subsidy; do
  upper=${svc^^}
  env "DATAPARK_${upper}_LOG_JSON=${DATAPARK_LOG_JSON:-false}" \
    $UV run --frozen python -m "datapark_${svc}" &
  pids+=($!)
done

for svc in catalog trading rental subsidy; do
  port=${PORTS[$svc]}
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1 \
    || { echo "[run] ${svc} did not become ready"; stop_all; }
done

$UV run --frozen python -m datapark_catalog.seed || echo "[run] seeding failed"
echo
echo "datapark is running (Ctrl-C stops everything):"
for svc in catalog trading rental subsidy; do
  echo "  ${svc}  http://127.0.0.1:${PORTS[$svc]}/docs   /openapi.json /metrics /healthz /readyz"
done
echo "  token:   POST http://127.0.0.1:${PORTS[catalog]}/v1/auth/token (client credentials above)"
echo "  kafka:   ${DATAPARK_KAFKA_BOOTSTRAP:-127.0.0.1:${DATAPARK_KAFKA_PORT:-9092}}   postgres: 127.0.0.1:${DATAPARK_PG_PORT:-54329}"
wait
