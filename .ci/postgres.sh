#!/usr/bin/env bash
# Start or stop a throw-away Debian PostgreSQL 15 server on 127.0.0.1 for the
# record-store tests. Idempotent: `start` on a running server only prints its
# URL again; `stop` on a stopped one does nothing.
#
#   bash .ci/postgres.sh start   # logs on stderr; the last stdout line is the URL
#   bash .ci/postgres.sh stop
#   bash .ci/postgres.sh url
#
# Runs initdb and pg_ctl as a non-root user (`postgres` when started as root,
# else the current user). Trust authentication, listening on 127.0.0.1 only.
# Needs the Debian package `postgresql` (PostgreSQL 15 on bookworm).
#
# Environment: SPATIALCAL_PG_DIR (default /tmp/spatialcal-pg),
# SPATIALCAL_PG_PORT (default 54329), SPATIALCAL_PG_DB (default spatialcal).
set -euo pipefail

DIR="${SPATIALCAL_PG_DIR:-/tmp/spatialcal-pg}"
PORT="${SPATIALCAL_PG_PORT:-54329}"
DB="${SPATIALCAL_PG_DB:-spatialcal}"
DATA="$DIR/data"
LOG="$DIR/server.log"

bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)" && return 0
  echo "postgres.sh: no pg_ctl found; install the Debian package postgresql" >&2
  return 1
}
BIN="$(bindir)"

if [ "$(id -u)" = 0 ]; then
  RUN_USER=postgres
  id "$RUN_USER" >/dev/null 2>&1 || {
    echo "postgres.sh: user postgres missing (install the Debian package postgresql)" >&2
    exit 1
  }
  as_user() { runuser -u "$RUN_USER" -- "$@"; }
else
  RUN_USER="$(id -un)"
  as_user() { "$@"; }
fi
URL="postgres://${RUN_USER}@127.0.0.1:${PORT}/${DB}"

running() {
  [ -f "$DATA/postmaster.pid" ] && as_user "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown "$RUN_USER" "$DIR"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "postgres.sh: initdb $DATA" >&2
    as_user "$BIN/initdb" -D "$DATA" -U "$RUN_USER" --auth=trust --encoding=UTF8 \
      --locale=C >&2
  fi
  if running; then
    echo "postgres.sh: already running on 127.0.0.1:$PORT" >&2
  else
    # A server killed earlier may leave a stale pid file: pg_ctl handles it.
    echo "postgres.sh: starting on 127.0.0.1:$PORT" >&2
    as_user "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=on" start >&2
  fi
  local i
  for i in $(seq 30); do
    as_user "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q && break
    sleep 0.5
  done
  if ! as_user "$BIN/psql" -h 127.0.0.1 -p "$PORT" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    as_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" "$DB" >&2
  fi
  echo "$URL"
}

stop() {
  if running; then
    echo "postgres.sh: stopping" >&2
    as_user "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
  else
    echo "postgres.sh: not running" >&2
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
