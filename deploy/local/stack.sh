#!/usr/bin/env bash
# Local infrastructure for datapark: a private PostgreSQL cluster and a single-node KRaft Kafka.
# No Docker: Postgres comes from Debian packages, Kafka from jars fetched by deploy/local/pom.xml.
#
#   bash deploy/local/stack.sh up|down|status|reset
#   bash deploy/local/stack.sh secure-up|secure-down|secure-status|secure-reset
#     (a second, separate broker with a SASL_SSL listener, TLS, SCRAM users and ACLs)
#
# State lives under <repo>/.local/ (git-ignored). Every subcommand is idempotent and
# recovers from crashes (kill -9, stale pid files, stale postmaster.pid).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# DATAPARK_LOCAL_DIR: a second, independent stack (e.g. the chaos run's .local/chaos, other ports).
LOCAL="${DATAPARK_LOCAL_DIR:-$ROOT/.local}"

PG_PORT="${DATAPARK_PG_PORT:-54329}"
KAFKA_PORT="${DATAPARK_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${DATAPARK_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${DATAPARK_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
PG_APP_USER=datapark
PG_APP_PASSWORD=datapark
PG_DATABASES=(datapark datapark_test)

PG_BASE="$LOCAL/pg"
PG_DATA="$PG_BASE/data"
PG_LOG="$PG_BASE/log/postgres.log"

KAFKA_BASE="$LOCAL/kafka"
KAFKA_DATA="$KAFKA_BASE/data"
KAFKA_LOGS="$KAFKA_BASE/logs"
KAFKA_CONF_DIR="$KAFKA_BASE/config"
KAFKA_CONF="$KAFKA_CONF_DIR/server.properties"
KAFKA_PID="$KAFKA_BASE/kafka.pid"
KAFKA_CLUSTER_ID_FILE="$KAFKA_BASE/cluster.id"
KAFKA_LIBS="$LOCAL/kafka-libs"
# The one place the Kafka version is pinned: <kafka.version> in pom.xml.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml" | head -n1)"

log() { echo "[stack] $*"; }
die() { echo "[stack] ERROR: $*" >&2; exit 1; }

[ -n "$KAFKA_VERSION" ] || die "cannot read <kafka.version> from $HERE/pom.xml"

IS_ROOT=0; [ "$(id -u)" -eq 0 ] && IS_ROOT=1
# Postgres refuses to run as root: use the 'postgres' system user then, else the current user.
if [ "$IS_ROOT" -eq 1 ]; then PG_OS_USER=postgres; else PG_OS_USER="$(id -un)"; fi

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
sudo_cmd() {
  if [ "$IS_ROOT" -eq 1 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"; fi
}

apt_install() {
  log "installing (apt): $*"
  sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Run a command as the Postgres OS user (from / so an unreadable cwd does not matter).
as_pg() {
  # 9>&-: the daemons must not inherit the stack.sh lock descriptor.
  if [ "$IS_ROOT" -eq 1 ]; then (cd / && runuser -u "$PG_OS_USER" -- "$@" 9>&-)
  else (cd / && "$@" 9>&-); fi
}

port_open() {  # port_open PORT -> 0 if something accepts TCP connections on 127.0.0.1:PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Alive and not a zombie (an un-reaped zombie still answers kill -0).
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st; st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

pg_bindir() {
  local d best="" bestv=0 v
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] || continue
    v="$(basename "$(dirname "$d")")"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -gt "$bestv" ]; then bestv="$v"; best="$d"; fi
  done
  echo "$best"
}

# Unix socket paths are limited to ~107 bytes; fall back to /tmp when the repo path is deep.
pg_sockdir() {
  local d="$PG_BASE/run"
  if [ $(( ${#d} + 20 )) -gt 100 ]; then
    d="/tmp/datapark-pg-$(printf '%s' "$PG_DATA" | md5sum | cut -c1-12)"
  fi
  echo "$d"
}

# ---------------------------------------------------------------------------------------------
# prerequisites
# ---------------------------------------------------------------------------------------------
ensure_java() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
}

ensure_kafka_jars() {
  if [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] && [ -f "$KAFKA_LIBS/.complete-$KAFKA_VERSION" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  ensure_java
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into .local/kafka-libs"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" \
    >"$LOCAL/mvn.log" 2>&1 || { cat "$LOCAL/mvn.log" >&2; die "mvn dependency:copy-dependencies failed"; }
  [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar not fetched"
  touch "$KAFKA_LIBS/.complete-$KAFKA_VERSION"
}

ensure_pg_binaries() {
  if [ -z "$(pg_bindir)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  PG_BIN="$(pg_bindir)"
  [ -n "$PG_BIN" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
  # btree_gist lives in contrib (a separate package on older Debian releases).
  local ver; ver="$(basename "$(dirname "$PG_BIN")")"
  if [ ! -f "/usr/share/postgresql/$ver/extension/btree_gist.control" ]; then
    apt_install postgresql-contrib
  fi
}

ensure_pg_os_user() {
  [ "$IS_ROOT" -eq 1 ] || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user '$PG_OS_USER'"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
      --shell /bin/bash "$PG_OS_USER"
  fi
}

# The postgres user must be able to traverse every ancestor of .local/pg (e.g. a repo cloned
# under a mode-700 mktemp -d folder). Grant o+x (search only, no read) where it is missing.
ensure_pg_path_access() {
  [ "$IS_ROOT" -eq 1 ] || return 0
  as_pg test -x "$PG_BASE" 2>/dev/null && return 0
  local d="$ROOT" dirs=()
  while :; do dirs=("$d" "${dirs[@]}"); [ "$d" = "/" ] && break; d="$(dirname "$d")"; done
  for d in "${dirs[@]}" "$LOCAL"; do
    if ! as_pg test -x "$d" 2>/dev/null; then
      log "granting o+x (search only) on $d so user '$PG_OS_USER' can reach .local/pg"
      chmod o+x "$d"
    fi
  done
  as_pg test -x "$PG_BASE" || die "user '$PG_OS_USER' still cannot reach $PG_BASE"
}

# ---------------------------------------------------------------------------------------------
# Postgres
# ---------------------------------------------------------------------------------------------
pg_ctl_() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" "$@"; }

# Postmaster PID if OUR cluster runs; handles stale postmaster.pid (dead or reused PID).
pg_running_pid() {
  [ -f "$PG_DATA/postmaster.pid" ] || return 1
  local pid; pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  pid_alive "$pid" || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$PG_DATA" ] || return 1
  echo "$pid"
}

# After a kill -9 of the postmaster, orphaned backends may survive briefly and keep the shared
# memory segment; kill those (identified by cwd = our data dir) and drop the stale lock file.
pg_cleanup_stale() {
  local p killed=0
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/cwd" 2>/dev/null || true)" = "$PG_DATA" ] || continue
    [ "$(cat "$p/comm" 2>/dev/null || true)" = "postgres" ] || continue
    kill -KILL "${p#/proc/}" 2>/dev/null && killed=$((killed + 1)) || true
  done
  if [ "$killed" -gt 0 ]; then log "killed $killed orphaned postgres process(es)"; sleep 1; fi
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    log "removing stale postmaster.pid"
    rm -f "$PG_DATA/postmaster.pid"
  fi
  # The socket lock file names the dead postmaster's PID; postgres refuses to start while that
  # PID exists (even as an un-reaped zombie). The socket dir is private to this cluster.
  local sockdir; sockdir="$(pg_sockdir)"
  rm -f "$sockdir/.s.PGSQL.$PG_PORT.lock" "$sockdir/.s.PGSQL.$PG_PORT"
  return 0
}

pg_write_conf() {
  local sockdir="$1"
  cat > "$PG_DATA/datapark.conf" <<EOF
# Written by deploy/local/stack.sh on every 'up' - edit the script, not this file.
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 128MB
logging_collector = off
EOF
  chown "$PG_OS_USER": "$PG_DATA/datapark.conf" 2>/dev/null || true
  grep -q "^include_if_exists = 'datapark.conf'" "$PG_DATA/postgresql.conf" \
    || echo "include_if_exists = 'datapark.conf'" >> "$PG_DATA/postgresql.conf"
}

pg_up() {
  ensure_pg_binaries
  ensure_pg_os_user
  mkdir -p "$PG_BASE"
  if [ "$IS_ROOT" -eq 1 ]; then chown "$PG_OS_USER": "$PG_BASE"; fi
  chmod 700 "$PG_BASE"
  ensure_pg_path_access
  as_pg mkdir -p "$PG_BASE/log" "$PG_BASE/run"
  local sockdir; sockdir="$(pg_sockdir)"
  if [ "$sockdir" != "$PG_BASE/run" ]; then
    mkdir -p "$sockdir"
    if [ "$IS_ROOT" -eq 1 ]; then chown "$PG_OS_USER": "$sockdir"; fi
  fi

  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initdb: new cluster in .local/pg/data ($PG_BIN)"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_BASE/log/initdb.log" 2>&1 \
      || { cat "$PG_BASE/log/initdb.log" >&2; die "initdb failed"; }
  fi
  pg_write_conf "$sockdir"

  local pid
  if pid="$(pg_running_pid)"; then
    log "postgres already running (pid $pid, port $PG_PORT)"
  else
    pg_cleanup_stale
    if port_open "$PG_PORT"; then die "port $PG_PORT is taken by another process (set DATAPARK_PG_PORT)"; fi
    log "starting postgres on 127.0.0.1:$PG_PORT"
    pg_ctl_ -l "$PG_LOG" -w -t 90 start >/dev/null \
      || { tail -n 30 "$PG_LOG" >&2 || true; die "postgres failed to start (log: $PG_LOG)"; }
  fi
  local i
  for i in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    [ "$i" -eq 60 ] && die "postgres not ready on 127.0.0.1:$PG_PORT"
    sleep 1
  done
  pg_bootstrap "$sockdir"
  log "postgres ready: postgresql://$PG_APP_USER:$PG_APP_PASSWORD@127.0.0.1:$PG_PORT/{$(IFS=,; echo "${PG_DATABASES[*]}")}"
}

# Role, databases and extensions; idempotent. Runs as superuser over the unix socket.
pg_bootstrap() {
  local sockdir="$1" db
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$PG_PORT" -U postgres)
  "${psql[@]}" -d postgres >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN CREATEDB CREATEROLE PASSWORD '$PG_APP_PASSWORD';
  END IF;
END \$\$;
-- CREATEROLE: the migrations create the auditors' read-only role (datapark_audit_reader)
ALTER ROLE $PG_APP_USER LOGIN CREATEDB CREATEROLE PASSWORD '$PG_APP_PASSWORD';
SQL
  for db in "${PG_DATABASES[@]}"; do
    "${psql[@]}" -d postgres >/dev/null <<SQL
SELECT 'CREATE DATABASE $db OWNER $PG_APP_USER'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \gexec
SQL
    "${psql[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS btree_gist" >/dev/null 2>&1 \
      || "${psql[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS btree_gist" >/dev/null
  done
}

pg_down() {
  local bin; bin="$(pg_bindir)"
  [ -n "$bin" ] && [ -d "$PG_DATA" ] || { log "postgres not running"; return 0; }
  PG_BIN="$bin"
  local pid
  if pid="$(pg_running_pid)"; then
    log "stopping postgres (pid $pid)"
    pg_ctl_ -m fast -w -t 60 stop >/dev/null 2>&1 \
      || pg_ctl_ -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || { kill -KILL "$pid" 2>/dev/null || true; }
  else
    log "postgres not running"
  fi
  pg_cleanup_stale >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------
# PID of OUR broker (java running kafka.Kafka with our server.properties), pid file or not.
kafka_running_pid() {
  local pid="" p
  [ -f "$KAFKA_PID" ] && pid="$(cat "$KAFKA_PID" 2>/dev/null || true)"
  if pid_alive "$pid" && tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA_CONF"; then
    echo "$pid"; return 0
  fi
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF "kafka.Kafka $KAFKA_CONF"; then
      echo "${p#/proc/}" > "$KAFKA_PID"; echo "${p#/proc/}"; return 0
    fi
  done
  return 1
}

kafka_write_conf() {
  mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_DATA" "$KAFKA_LOGS"
  cat > "$KAFKA_CONF" <<EOF
# Written by deploy/local/stack.sh on every 'up' - edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat > "$KAFKA_CONF_DIR/log4j2.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by deploy/local/stack.sh on every 'up'. -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
    <RollingFile name="SERVER" fileName="$KAFKA_LOGS/server.log" filePattern="$KAFKA_LOGS/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="50 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Root level="INFO">
      <AppenderRef ref="SERVER"/>
      <AppenderRef ref="STDOUT" level="WARN"/>
    </Root>
  </Loggers>
</Configuration>
EOF
}

kafka_java_cmd() {  # kafka_java_cmd <array var> <main class> args...
  local -n _out="$1"; shift
  local heap; read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  _out=(java "${heap[@]}" -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_CONF_DIR/log4j2.xml" -Dkafka.logs.dir="$KAFKA_LOGS"
    -cp "$KAFKA_LIBS/*" "$@")
}

kafka_java() { local c; kafka_java_cmd c "$@"; "${c[@]}"; }

kafka_format() {
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  local cid=""
  [ -s "$KAFKA_CLUSTER_ID_FILE" ] && cid="$(cat "$KAFKA_CLUSTER_ID_FILE")"
  if [ -z "$cid" ]; then
    cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    [ -n "$cid" ] || die "could not generate a Kafka cluster id"
    echo "$cid" > "$KAFKA_CLUSTER_ID_FILE"
  fi
  log "formatting Kafka storage (cluster id $cid)"
  rm -rf "$KAFKA_DATA"; mkdir -p "$KAFKA_DATA"
  kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONF" >"$KAFKA_LOGS/format.log" 2>&1 \
    || { cat "$KAFKA_LOGS/format.log" >&2; die "kafka storage format failed"; }
}

kafka_ready() { python3 "$HERE/kafka_ready.py" 127.0.0.1 "$KAFKA_PORT" 3 2>/dev/null; }

kafka_up() {
  ensure_java
  command -v python3 >/dev/null 2>&1 || die "python3 is required (Kafka readiness probe)"
  ensure_kafka_jars
  kafka_write_conf
  local pid
  if pid="$(kafka_running_pid)"; then
    log "kafka already running (pid $pid, port $KAFKA_PORT)"
  else
    rm -f "$KAFKA_PID"
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if port_open "$p"; then die "port $p is taken by another process (set DATAPARK_KAFKA_PORT / DATAPARK_KAFKA_CONTROLLER_PORT)"; fi
    done
    kafka_format
    log "starting kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
    echo "===== $(date -Is) start" >> "$KAFKA_LOGS/kafka.out"
    # setsid: own session, so Ctrl-C in the calling terminal does not kill the broker.
    local cmd; kafka_java_cmd cmd kafka.Kafka "$KAFKA_CONF"
    (
      cd "$KAFKA_BASE"
      setsid nohup "${cmd[@]}" </dev/null >>"$KAFKA_LOGS/kafka.out" 2>&1 9>&- &
      echo $! > "$KAFKA_PID"
    )
    pid="$(cat "$KAFKA_PID")"
  fi
  local i
  for i in $(seq 1 120); do
    if kafka_ready >/dev/null; then break; fi
    if ! pid_alive "$pid"; then
      tail -n 40 "$KAFKA_LOGS/kafka.out" >&2 || true
      rm -f "$KAFKA_PID"
      die "kafka exited during startup (logs: $KAFKA_LOGS/server.log, kafka.out)"
    fi
    [ "$i" -eq 120 ] && die "kafka not ready after 120s (logs: $KAFKA_LOGS/server.log)"
    sleep 1
  done
  log "kafka ready: 127.0.0.1:$KAFKA_PORT ($(kafka_ready))"
}

kafka_down() {
  local pid i
  if ! pid="$(kafka_running_pid)"; then
    rm -f "$KAFKA_PID"; log "kafka not running"; return 0
  fi
  log "stopping kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 45); do pid_alive "$pid" || break; sleep 1; done
  if pid_alive "$pid"; then
    log "kafka did not stop within 45s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 10); do pid_alive "$pid" || break; sleep 1; done
  fi
  rm -f "$KAFKA_PID"
}

# ---------------------------------------------------------------------------------------------
# A second, separate Kafka broker with a SASL_SSL listener (secure-up|secure-down|secure-status)
# ---------------------------------------------------------------------------------------------
# It never touches the plaintext broker above: own ports, data dir, cluster id and process.
# Clients: SASL_SSL on 127.0.0.1:$KS_PORT with SCRAM-SHA-512 users 'admin' (super user) and one
# per service (from the topic registry); a client certificate is required as well (mutual TLS);
# ACLs (StandardAuthorizer) grant each service exactly what datapark_eventing.access derives from
# the registry. The controller listener speaks TLS and admits only the broker's certificate.
# What a client needs is in .local/kafka-secure/client.env (mode 600).
KS_PORT="${DATAPARK_KAFKA_SECURE_PORT:-9094}"
KS_CONTROLLER_PORT="${DATAPARK_KAFKA_SECURE_CONTROLLER_PORT:-9095}"
KS_HEAP_OPTS="${DATAPARK_KAFKA_SECURE_HEAP_OPTS:--Xmx384m -Xms128m}"
KS_BASE="$LOCAL/kafka-secure"
KS_DATA="$KS_BASE/data"
KS_LOGS="$KS_BASE/logs"
KS_TLS="$KS_BASE/tls"
KS_CONF="$KS_BASE/config/server.properties"
KS_ADMIN_CONF="$KS_BASE/config/admin.properties"
KS_PID="$KS_BASE/kafka.pid"
KS_SECRETS="$KS_BASE/secrets.env"
KS_CLIENT_ENV="$KS_BASE/client.env"
KS_TOOLS_LIBS="$LOCAL/kafka-tools-libs"

ks_ensure_tools() {
  if [ -f "$KS_TOOLS_LIBS/kafka-tools-$KAFKA_VERSION.jar" ] && [ -f "$KS_TOOLS_LIBS/.complete-$KAFKA_VERSION" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  log "fetching Kafka $KAFKA_VERSION admin tools from Maven Central into .local/kafka-tools-libs"
  rm -rf "$KS_TOOLS_LIBS"; mkdir -p "$KS_TOOLS_LIBS"
  mvn -B -q -f "$HERE/pom-tools.xml" -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
    -DoutputDirectory="$KS_TOOLS_LIBS" >"$LOCAL/mvn-tools.log" 2>&1 \
    || { cat "$LOCAL/mvn-tools.log" >&2; die "mvn dependency:copy-dependencies (tools) failed"; }
  [ -f "$KS_TOOLS_LIBS/kafka-tools-$KAFKA_VERSION.jar" ] || die "kafka-tools-$KAFKA_VERSION.jar not fetched"
  touch "$KS_TOOLS_LIBS/.complete-$KAFKA_VERSION"
}

ks_password() { openssl rand -hex 16; }

# The project's Python (already inside `uv run`, e.g. from a test, or through uv).
ks_python() {
  if python3 -c "import datapark_eventing" >/dev/null 2>&1; then (cd "$ROOT" && python3 "$@")
  else (cd "$ROOT" && python3 -m uv run --frozen --quiet python "$@"); fi
}

# A CA, the broker's and a client's certificate (openssl), the broker's PKCS#12 keystore; once.
ks_tls() {
  [ -f "$KS_TLS/.complete" ] && return 0
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  log "generating a local CA, a broker and a client certificate in .local/kafka-secure/tls"
  rm -rf "$KS_TLS"; mkdir -p "$KS_TLS"; chmod 700 "$KS_TLS"
  local store_pass name
  store_pass="$(ks_password)"
  (
    set -e
    cd "$KS_TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=datapark local Kafka CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -addext "subjectKeyIdentifier=hash" 2>/dev/null
    for name in broker client; do
      openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
        -subj "/CN=datapark-$name" 2>/dev/null
      printf '%s\n' "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
        -sha256 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
      rm -f "$name.csr" "$name.ext"
    done
    openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker \
      -out broker.p12 -passout "pass:$store_pass"
    chmod 600 ./*.key broker.p12
  ) || die "certificate generation failed"
  (umask 077; echo "KS_STORE_PASSWORD=$store_pass" > "$KS_TLS/store.env")
  touch "$KS_TLS/.complete"
}

# The principals (admin + the services of the registry) and their SCRAM passwords: generated
# once, kept in secrets.env (mode 600), never printed.
ks_secrets() {
  local services u var
  services="$(ks_python -m datapark_eventing.access users)" \
    || die "cannot list the services (python -m datapark_eventing.access users)"
  mkdir -p "$KS_BASE"
  (umask 077; touch "$KS_SECRETS")
  KS_USERS="admin $services"
  for u in $KS_USERS; do
    var="KS_PASSWORD_${u^^}"
    grep -q "^$var=" "$KS_SECRETS" || (umask 077; echo "$var=$(ks_password)" >> "$KS_SECRETS")
  done
}

ks_write_conf() {
  # shellcheck disable=SC1090,SC1091
  . "$KS_TLS/store.env"
  # shellcheck disable=SC1090
  . "$KS_SECRETS"
  mkdir -p "$KS_BASE/config" "$KS_DATA" "$KS_LOGS"
  local jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$KS_PASSWORD_ADMIN\";"
  (umask 077; printf '%s\n' \
    "# Written by deploy/local/stack.sh secure-up - edit the script, not this file." \
    "process.roles=broker,controller" \
    "node.id=1" \
    "controller.quorum.voters=1@127.0.0.1:$KS_CONTROLLER_PORT" \
    "listeners=SASL_SSL://127.0.0.1:$KS_PORT,CONTROLLER://127.0.0.1:$KS_CONTROLLER_PORT" \
    "advertised.listeners=SASL_SSL://127.0.0.1:$KS_PORT" \
    "controller.listener.names=CONTROLLER" \
    "inter.broker.listener.name=SASL_SSL" \
    "listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL" \
    "sasl.enabled.mechanisms=SCRAM-SHA-512" \
    "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512" \
    "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas" \
    "ssl.keystore.type=PKCS12" \
    "ssl.keystore.location=$KS_TLS/broker.p12" \
    "ssl.keystore.password=$KS_STORE_PASSWORD" \
    "ssl.truststore.type=PEM" \
    "ssl.truststore.location=$KS_TLS/ca.crt" \
    "ssl.client.auth=required" \
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" \
    "super.users=User:admin;User:CN=datapark-broker" \
    "allow.everyone.if.no.acl.found=false" \
    "log.dirs=$KS_DATA" \
    "auto.create.topics.enable=false" \
    "offsets.topic.replication.factor=1" \
    "transaction.state.log.replication.factor=1" \
    "transaction.state.log.min.isr=1" \
    "share.coordinator.state.topic.replication.factor=1" \
    "share.coordinator.state.topic.min.isr=1" \
    "group.initial.rebalance.delay.ms=0" > "$KS_CONF"
  printf '%s\n' \
    "security.protocol=SASL_SSL" \
    "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=$jaas" \
    "ssl.truststore.type=PEM" \
    "ssl.truststore.location=$KS_TLS/ca.crt" \
    "ssl.keystore.type=PKCS12" \
    "ssl.keystore.location=$KS_TLS/broker.p12" \
    "ssl.keystore.password=$KS_STORE_PASSWORD" > "$KS_ADMIN_CONF")
  printf '%s\n' \
    '<?xml version="1.0" encoding="UTF-8"?>' \
    '<Configuration status="WARN">' \
    '  <Appenders>' \
    '    <Console name="STDOUT" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console>' \
    "    <RollingFile name=\"SERVER\" fileName=\"$KS_LOGS/server.log\" filePattern=\"$KS_LOGS/server.log.%i\">" \
    '      <PatternLayout pattern="[%d] %p %m (%c)%n"/>' \
    '      <Policies><SizeBasedTriggeringPolicy size="50 MB"/></Policies>' \
    '      <DefaultRolloverStrategy max="2"/>' \
    '    </RollingFile>' \
    '  </Appenders>' \
    '  <Loggers>' \
    '    <Root level="INFO"><AppenderRef ref="SERVER"/><AppenderRef ref="STDOUT" level="WARN"/></Root>' \
    '  </Loggers>' \
    '</Configuration>' > "$KS_BASE/config/log4j2.xml"
  # What a client of this broker needs (datapark_eventing.kafka.KafkaClientConfig.from_env,
  # with the password of the principal it acts as).
  local u var
  (umask 077; {
    echo "DATAPARK_KAFKA_BOOTSTRAP=127.0.0.1:$KS_PORT"
    echo "DATAPARK_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
    echo "DATAPARK_KAFKA_SSL_CAFILE=$KS_TLS/ca.crt"
    echo "DATAPARK_KAFKA_SSL_CERTFILE=$KS_TLS/client.crt"
    echo "DATAPARK_KAFKA_SSL_KEYFILE=$KS_TLS/client.key"
    echo "DATAPARK_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
    for u in $KS_USERS; do
      var="KS_PASSWORD_${u^^}"
      echo "DATAPARK_KAFKA_SASL_PASSWORD_${u^^}=${!var}"
    done
  } > "$KS_CLIENT_ENV")
}

ks_java_cmd() {  # ks_java_cmd <array var> <classpath> <main class> args...
  local -n _o="$1"; local cp="$2"; shift 2
  local heap; read -r -a heap <<<"$KS_HEAP_OPTS"
  _o=(java "${heap[@]}" -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KS_BASE/config/log4j2.xml" -Dkafka.logs.dir="$KS_LOGS" -cp "$cp" "$@")
}

ks_format() {
  [ -f "$KS_DATA/meta.properties" ] && return 0
  local cid c u var scram=()
  ks_java_cmd c "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid
  cid="$("${c[@]}" 2>/dev/null | tail -n1)"; [ -n "$cid" ] || die "could not generate a cluster id"
  for u in $KS_USERS; do
    var="KS_PASSWORD_${u^^}"
    scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=${!var}]")
  done
  log "formatting the SASL_SSL broker's storage (cluster id $cid); SCRAM users: $KS_USERS"
  rm -rf "$KS_DATA"; mkdir -p "$KS_DATA"
  rm -f "$KS_BASE/.grants-done"
  echo "$KS_USERS" | tr ' ' '\n' > "$KS_BASE/scram-users"
  ks_java_cmd c "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cid" -c "$KS_CONF" "${scram[@]}"
  "${c[@]}" >"$KS_LOGS/format.log" 2>&1 || { cat "$KS_LOGS/format.log" >&2; die "storage format failed"; }
}

ks_running_pid() {
  local pid="" p
  [ -f "$KS_PID" ] && pid="$(cat "$KS_PID" 2>/dev/null || true)"
  if pid_alive "$pid" && tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KS_CONF"; then
    echo "$pid"; return 0
  fi
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF "kafka.Kafka $KS_CONF"; then
      echo "${p#/proc/}" > "$KS_PID"; echo "${p#/proc/}"; return 0
    fi
  done
  return 1
}

ks_acl() {  # ks_acl args... -> Kafka's AclCommand against the SASL_SSL broker, as admin
  local c
  ks_java_cmd c "$KAFKA_LIBS/*:$KS_TOOLS_LIBS/*" org.apache.kafka.tools.AclCommand \
    --bootstrap-server "127.0.0.1:$KS_PORT" --command-config "$KS_ADMIN_CONF" "$@"
  "${c[@]}"
}

# A principal the registry gained after the storage was formatted: its SCRAM credential.
ks_add_scram_user() {  # ks_add_scram_user NAME PASSWORD
  local c
  ks_java_cmd c "$KAFKA_LIBS/*:$KS_TOOLS_LIBS/*" kafka.admin.ConfigCommand \
    --bootstrap-server "127.0.0.1:$KS_PORT" --command-config "$KS_ADMIN_CONF" --alter \
    --add-config "SCRAM-SHA-512=[password=$2]" --entity-type users --entity-name "$1"
  "${c[@]}" >>"$KS_LOGS/acl.log" 2>&1 || die "cannot create the SCRAM user $1 (log: $KS_LOGS/acl.log)"
  echo "$1" >> "$KS_BASE/scram-users"
}

# The ACLs derived from the registry (python -m datapark_eventing.access acl-args), applied
# again whenever the registry's principals or grants change; the first call also waits until
# the broker answers authenticated admin requests.
ks_acls() {
  local grants i line args fingerprint u var
  grants="$(ks_python -m datapark_eventing.access acl-args)" \
    || die "cannot derive the ACLs (python -m datapark_eventing.access acl-args)"
  fingerprint="$(printf '%s\n%s\n' "$KS_USERS" "$grants" | sha256sum | cut -c1-64)"
  [ "$(cat "$KS_BASE/.grants-done" 2>/dev/null || true)" = "$fingerprint" ] && return 0
  for i in $(seq 1 60); do
    ks_acl --list >"$KS_LOGS/acl.log" 2>&1 && break
    [ "$i" -eq 60 ] && { tail -n 20 "$KS_LOGS/acl.log" >&2; die "the SASL_SSL broker does not answer its admin"; }
    sleep 1
  done
  for u in $KS_USERS; do
    grep -qx "$u" "$KS_BASE/scram-users" 2>/dev/null && continue
    var="KS_PASSWORD_${u^^}"
    log "adding the SCRAM user $u"
    ks_add_scram_user "$u" "${!var}"
  done
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    read -r -a args <<<"$line"
    ks_acl --add --force "${args[@]}" >>"$KS_LOGS/acl.log" 2>&1 \
      || { tail -n 20 "$KS_LOGS/acl.log" >&2; die "AclCommand --add ${args[*]} failed"; }
  done <<<"$grants"
  echo "$fingerprint" > "$KS_BASE/.grants-done"
  log "ACLs granted from the topic registry ($(grep -c . <<<"$grants") grants)"
}

ks_up() {
  ensure_java
  ensure_kafka_jars
  ks_ensure_tools
  ks_tls
  ks_secrets
  ks_write_conf
  local pid p i cmd
  if pid="$(ks_running_pid)"; then
    log "SASL_SSL kafka already running (pid $pid, port $KS_PORT)"
  else
    rm -f "$KS_PID"
    for p in "$KS_PORT" "$KS_CONTROLLER_PORT"; do
      if port_open "$p"; then die "port $p is taken (set DATAPARK_KAFKA_SECURE_PORT / DATAPARK_KAFKA_SECURE_CONTROLLER_PORT)"; fi
    done
    ks_format
    log "starting the SASL_SSL kafka $KAFKA_VERSION on 127.0.0.1:$KS_PORT (controller :$KS_CONTROLLER_PORT, TLS)"
    echo "===== $(date -Is) start" >> "$KS_LOGS/kafka.out"
    ks_java_cmd cmd "$KAFKA_LIBS/*" kafka.Kafka "$KS_CONF"
    (
      cd "$KS_BASE"
      setsid nohup "${cmd[@]}" </dev/null >>"$KS_LOGS/kafka.out" 2>&1 9>&- &
      echo $! > "$KS_PID"
    )
    pid="$(cat "$KS_PID")"
  fi
  for i in $(seq 1 120); do
    port_open "$KS_PORT" && break
    if ! pid_alive "$pid"; then
      tail -n 40 "$KS_LOGS/kafka.out" >&2 || true; rm -f "$KS_PID"
      die "the SASL_SSL kafka exited during startup (logs: $KS_LOGS/server.log)"
    fi
    [ "$i" -eq 120 ] && die "the SASL_SSL kafka is not listening after 120s (logs: $KS_LOGS/server.log)"
    sleep 1
  done
  ks_acls
  log "SASL_SSL kafka ready: 127.0.0.1:$KS_PORT (client settings: .local/kafka-secure/client.env)"
}

ks_down() {
  local pid i
  if ! pid="$(ks_running_pid)"; then rm -f "$KS_PID"; log "SASL_SSL kafka not running"; return 0; fi
  log "stopping the SASL_SSL kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 45); do pid_alive "$pid" || break; sleep 1; done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$KS_PID"
}

ks_status() {
  local pid
  if pid="$(ks_running_pid)" && port_open "$KS_PORT"; then
    log "SASL_SSL kafka: running (pid $pid) on 127.0.0.1:$KS_PORT"
  else
    log "SASL_SSL kafka: stopped"; return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------
with_lock() {
  mkdir -p "$LOCAL"
  exec 9>"$LOCAL/.stack.lock"
  flock -w 300 9 || die "another stack.sh is running (lock $LOCAL/.stack.lock)"
}

cmd_up() {
  with_lock
  pg_up
  kafka_up
  log "up: postgres 127.0.0.1:$PG_PORT, kafka 127.0.0.1:$KAFKA_PORT"
}

cmd_down() {
  with_lock
  ks_down >/dev/null  # the SASL_SSL broker too, if secure-up started it
  kafka_down
  pg_down
}

cmd_status() {
  local pid rc=0
  PG_BIN="$(pg_bindir)"
  if [ -n "$PG_BIN" ] && pid="$(pg_running_pid)"; then
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
      log "postgres: running (pid $pid) on 127.0.0.1:$PG_PORT, ready"
    else
      log "postgres: running (pid $pid) on 127.0.0.1:$PG_PORT, NOT accepting connections"; rc=1
    fi
  else
    log "postgres: stopped"; rc=1
  fi
  if pid="$(kafka_running_pid)"; then
    if kafka_ready >/dev/null; then
      log "kafka $KAFKA_VERSION: running (pid $pid) on 127.0.0.1:$KAFKA_PORT, ready"
    else
      log "kafka $KAFKA_VERSION: running (pid $pid) on 127.0.0.1:$KAFKA_PORT, NOT ready"; rc=1
    fi
  else
    log "kafka $KAFKA_VERSION: stopped"; rc=1
  fi
  # the optional SASL_SSL broker (secure-up) is reported, never counted as a failure
  if [ -d "$KS_BASE" ]; then ks_status || true; fi
  return "$rc"
}

cmd_reset() {
  cmd_down
  log "deleting .local/pg, .local/kafka and .local/kafka-secure"
  rm -rf "$PG_BASE" "$KAFKA_BASE" "$KS_BASE"
  rm -rf "/tmp/datapark-pg-$(printf '%s' "$PG_DATA" | md5sum | cut -c1-12)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  secure-up) with_lock; ks_up ;;
  secure-down) with_lock; ks_down ;;
  secure-status) ks_status ;;
  secure-reset) with_lock; ks_down; log "deleting .local/kafka-secure"; rm -rf "$KS_BASE" ;;
  *) echo "usage: $0 up|down|status|reset|secure-up|secure-down|secure-status|secure-reset" >&2; exit 2 ;;
esac
