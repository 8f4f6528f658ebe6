#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for CI and benchmarks.
#   scripts/pg-throwaway.sh start DIR PORT   -> prints the DATABASE_URL
#   scripts/pg-throwaway.sh stop DIR
# Uses Debian's `postgresql` binaries; as root, the server runs as the `postgres` user
# (initdb refuses root). Durability is off: the data is disposable.
#
# The printed URL is for an application role, `edgeref`, with a fresh random password: it owns
# the `edgeref` database (so migrations can create tables) but is not a superuser, so SQL that
# reaches it cannot run programs or read server files (`copy ... to program`). TCP needs that
# password (scram-sha-256); the superuser is reachable only through the Unix socket in DIR,
# which only the server's OS user may open.
set -euo pipefail

cmd=${1:?usage: pg-throwaway.sh start DIR PORT | stop DIR}
dir=${2:?directory}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "PostgreSQL binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" --auth-local=trust --auth-host=scram-sha-256 -U postgres --no-sync \
      >"$dir/initdb.log" 2>&1
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-p $port -k $dir -c unix_socket_permissions=0700 -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    # Hex: safe in a URL as is. Sent on stdin, never on a command line.
    password=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<SQL
create role edgeref login nosuperuser nocreatedb nocreaterole noreplication password '$password';
create database edgeref owner edgeref;
SQL
    echo "postgres://edgeref:$password@127.0.0.1:$port/edgeref"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command: $cmd" >&2
    exit 2
    ;;
esac
