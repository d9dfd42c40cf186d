#!/usr/bin/env bash
# The team's tracking server on this machine: a PostgreSQL cluster (Debian's `postgresql` package, installed
# with apt-get when missing) and an MLflow tracking server on it, with MLflow's basic-auth app and the
# artifacts proxied by the server (clients need no storage credentials).
#
#   scripts/server.sh start|stop|status        (make server | server-stop | server-status)
#
# Settings (environment; the Makefile passes its variables of the same names):
#   MLFLOW_TRACKING_PASSWORD  the admin's password (required; never written to git). Clients use the same
#                             variable, with MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_URI.
#   MLFLOW_TRACKING_USERNAME  the admin's user name (default admin)
#   SERVER_DIR                state folder: PostgreSQL data, logs, pids, local artifacts (default .server/)
#   SERVER_HOST, SERVER_PORT  where MLflow listens (default 127.0.0.1:5050; beyond loopback needs the password)
#   SERVER_ALLOWED_HOSTS      MLflow's --allowed-hosts when bound beyond loopback (default: host:port)
#   PG_PORT                   PostgreSQL's port, on 127.0.0.1 only (default 5433)
#   SERVER_ARTIFACTS          --artifacts-destination (default SERVER_DIR/artifacts; s3://bucket/prefix for
#                             an object store: the server then needs AWS_* credentials, the clients do not)
#   PG_BIN                    PostgreSQL's binaries (default /usr/lib/postgresql/<newest>/bin)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
SERVER_DIR="$(mkdir -p "${SERVER_DIR:-$ROOT/.server}" && cd "${SERVER_DIR:-$ROOT/.server}" && pwd)"
SERVER_HOST="${SERVER_HOST:-127.0.0.1}"
SERVER_PORT="${SERVER_PORT:-5050}"
PG_PORT="${PG_PORT:-5433}"
PG_USER=mlflow
ADMIN_USER="${MLFLOW_TRACKING_USERNAME:-admin}"
ARTIFACTS="${SERVER_ARTIFACTS:-$SERVER_DIR/artifacts}"
PGDATA="$SERVER_DIR/postgres"
PG_SOCKETS="$SERVER_DIR/sockets"
PG_SECRET="$SERVER_DIR/postgres.password"   # generated on first start, mode 600, under the git-ignored folder
FLASK_SECRET="$SERVER_DIR/flask.secret"      # the auth app's CSRF key, generated the same way
MLFLOW_PID="$SERVER_DIR/mlflow.pid"
WAIT_SECONDS="${SERVER_WAIT_SECONDS:-180}"
UV="$(command -v uv || echo "python3 -m uv")"

log() { printf 'server: %s\n' "$*"; }
fail() { printf 'server: %s\n' "$*" >&2; exit 1; }

pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
    local newest
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    echo "$newest"
}

install_postgres() {
    [[ -x "$(pg_bin)/pg_ctl" ]] && return
    command -v apt-get >/dev/null 2>&1 || fail "PostgreSQL is missing and apt-get is unavailable: install postgresql"
    local sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    log "PostgreSQL is missing: installing Debian's postgresql package (apt-get)"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq </dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql </dev/null
    [[ -x "$(pg_bin)/pg_ctl" ]] || fail "postgresql was installed but no pg_ctl under /usr/lib/postgresql/*/bin"
}

# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user of the package.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

new_secret() {
    [[ -s "$1" ]] || (umask 077; "$UV" run --frozen python -c "import secrets; print(secrets.token_urlsafe(24))" >"$1")
}

pg_running() { [[ -f "$PGDATA/postmaster.pid" ]] && as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
mlflow_running() { [[ -f "$MLFLOW_PID" ]] && kill -0 "$(cat "$MLFLOW_PID")" 2>/dev/null; }

start_postgres() {
    install_postgres
    local bin; bin="$(pg_bin)"
    mkdir -p "$PGDATA" "$PG_SOCKETS"
    new_secret "$PG_SECRET"
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres "$PGDATA" "$PG_SOCKETS" "$PG_SECRET"; chmod 700 "$PGDATA"; fi
    if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
        log "creating the PostgreSQL cluster in $PGDATA"
        as_pg "$bin/initdb" -D "$PGDATA" -U "$PG_USER" --pwfile="$PG_SECRET" --auth=scram-sha-256 \
            --encoding=UTF8 --no-instructions >"$SERVER_DIR/initdb.log" 2>&1 \
            || fail "initdb failed (see $SERVER_DIR/initdb.log)"
    fi
    if ! pg_running; then
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/postgres.log" -w -t "$WAIT_SECONDS" \
            -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_SOCKETS" start >/dev/null \
            || fail "PostgreSQL did not start (see $PGDATA/postgres.log)"
    fi
    local db
    for db in mlflow mlflow_auth; do
        if ! PGPASSWORD="$(cat "$PG_SECRET")" "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
            -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
            PGPASSWORD="$(cat "$PG_SECRET")" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$db"
        fi
    done
}

start_mlflow() {
    [[ -n "${MLFLOW_TRACKING_PASSWORD:-}" ]] \
        || fail "MLFLOW_TRACKING_PASSWORD is not set: the admin's password comes from the environment (never from git)"
    case "$SERVER_HOST" in
        127.0.0.1 | localhost | ::1) allowed="" ;;
        *) allowed="${SERVER_ALLOWED_HOSTS:-$SERVER_HOST:$SERVER_PORT,$SERVER_HOST}" ;;
    esac
    if mlflow_running; then log "MLflow already running (pid $(cat "$MLFLOW_PID"))"; return; fi
    [[ "$ARTIFACTS" == *://* ]] || mkdir -p "$ARTIFACTS"
    new_secret "$FLASK_SECRET"
    local pg="postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT"
    cat >"$SERVER_DIR/basic_auth.ini" <<EOF
[mlflow]
default_permission = READ
database_uri = $pg/mlflow_auth
admin_username = $ADMIN_USER
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
EOF
    log "starting MLflow on http://$SERVER_HOST:$SERVER_PORT (PostgreSQL backend, artifacts: $ARTIFACTS)"
    # its own session, so that stop ends the server and its workers together; PostgreSQL's password reaches
    # psycopg through libpq's PGPASSWORD, never the command line
    PGPASSWORD="$(cat "$PG_SECRET")" \
    MLFLOW_AUTH_CONFIG_PATH="$SERVER_DIR/basic_auth.ini" \
    MLFLOW_AUTH_ADMIN_USERNAME="$ADMIN_USER" MLFLOW_AUTH_ADMIN_PASSWORD="$MLFLOW_TRACKING_PASSWORD" \
    MLFLOW_FLASK_SERVER_SECRET_KEY="$(cat "$FLASK_SECRET")" MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
        setsid "$UV" run --frozen mlflow server \
            --backend-store-uri "$pg/mlflow" \
            --artifacts-destination "$ARTIFACTS" --serve-artifacts \
            --host "$SERVER_HOST" --port "$SERVER_PORT" --workers 1 \
            --app-name basic-auth ${allowed:+--allowed-hosts "$allowed"} \
            >"$SERVER_DIR/mlflow.log" 2>&1 </dev/null &
    echo $! >"$MLFLOW_PID"
    local waited=0
    until curl -fsS "http://$SERVER_HOST:$SERVER_PORT/health" >/dev/null 2>&1; do
        mlflow_running || fail "MLflow exited (see $SERVER_DIR/mlflow.log)"
        (( waited++ < WAIT_SECONDS )) || fail "MLflow did not answer within ${WAIT_SECONDS}s (see $SERVER_DIR/mlflow.log)"
        sleep 1
    done
    log "ready: MLFLOW_TRACKING_URI=http://$SERVER_HOST:$SERVER_PORT MLFLOW_TRACKING_USERNAME=$ADMIN_USER"
}

stop_all() {
    if mlflow_running; then
        local pid; pid="$(cat "$MLFLOW_PID")"
        log "stopping MLflow (pid $pid)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$MLFLOW_PID"
    if pg_running; then
        log "stopping PostgreSQL"
        as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
}

status() {
    local rc=0
    if pg_running; then log "PostgreSQL: running on 127.0.0.1:$PG_PORT ($PGDATA)"; else log "PostgreSQL: stopped"; rc=3; fi
    if mlflow_running && curl -fsS "http://$SERVER_HOST:$SERVER_PORT/health" >/dev/null 2>&1; then
        log "MLflow: running on http://$SERVER_HOST:$SERVER_PORT (pid $(cat "$MLFLOW_PID"))"
    else
        log "MLflow: stopped"; rc=3
    fi
    return "$rc"
}

case "${1:-}" in
    start) start_postgres; start_mlflow ;;
    stop) stop_all ;;
    status) status ;;
    *) fail "usage: scripts/server.sh start|stop|status" ;;
esac
