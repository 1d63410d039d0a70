#!/bin/bash
# The official image's start-up, reduced to what compose.yaml relies on: on an empty PGDATA,
# initdb with POSTGRES_USER and POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), create
# POSTGRES_DB, listen on every address with scram-sha-256; then run the server as postgres.
set -euo pipefail

if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE"); fi
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set" >&2; exit 1; }
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chown postgres "$pwfile"
    setpriv --reuid=postgres --regid=postgres --init-groups \
      initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust >/dev/null
    rm -f "$pwfile"
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$database" != postgres ]; then
      echo "CREATE DATABASE \"$database\"" | setpriv --reuid=postgres --regid=postgres --init-groups \
        postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "initialised $PGDATA: user $user, database $database"
  fi
  unset POSTGRES_PASSWORD
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
