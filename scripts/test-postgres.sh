#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql package:
#   eval "$(scripts/test-postgres.sh start)"   # prints: export MASKS_TEST_PG_URL=postgres://…
#   scripts/test-postgres.sh down | up  # an immediate (crash-like) stop; start again
#   scripts/test-postgres.sh stop
# MASKS_TEST_PG_PORT chooses the port (default 54329); each port is a cluster of its own.
# It listens on 127.0.0.1 only, trusts local connections, and lives in a temporary folder
# that `stop` deletes. As root, the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail
PORT="${MASKS_TEST_PG_PORT:-54329}"
STATE="/tmp/masks-test-postgres-$PORT"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    [ -x "$BIN/initdb" ] || { echo "no PostgreSQL found: apt-get install postgresql" >&2; exit 1; }
    if [ -f "$STATE/data/postmaster.pid" ]; then "$0" stop >/dev/null; fi
    rm -rf "$STATE" && mkdir -p "$STATE"
    [ "$(id -u)" = 0 ] && chown postgres "$STATE"
    as_owner "$BIN/initdb" -D "$STATE/data" -U masks --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log"
    # fsync stays on: the durability tests kill PostgreSQL and count on what was committed.
    cat >>"$STATE/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$STATE'
max_connections = 300
CONF
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w start >/dev/null
    echo "export MASKS_TEST_PG_URL=postgres://masks@127.0.0.1:$PORT/postgres"
    ;;
  down)
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -m immediate stop >/dev/null
    ;;
  up)
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w start >/dev/null
    ;;
  stop)
    [ -d "$STATE/data" ] && as_owner "$BIN/pg_ctl" -D "$STATE/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$STATE"
    ;;
  *)
    echo "usage: $0 start|down|up|stop" >&2
    exit 2
    ;;
esac
