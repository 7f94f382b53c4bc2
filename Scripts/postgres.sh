#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the demo (issue 26): Debian's `postgresql`
# (installed if missing), run as the unprivileged `postgres` user in a temporary directory, on a
# free loopback port, with fsync and synchronous_commit on (what the hub promises is what is tested).
#
#   Scripts/postgres.sh start DIR   # initdb + pg_ctl start; prints the URL of a fresh database `lienthong`
#   Scripts/postgres.sh stop DIR    # pg_ctl stop (the server's own pid, from DIR/data/postmaster.pid)
#
# The URL is also written to DIR/url. Only the server started in DIR is stopped, by its own pid.
set -euo pipefail

command=${1:-}
dir=${2:-}
if [[ -z $command || -z $dir ]]; then
  echo "usage: Scripts/postgres.sh start|stop DIR" >&2
  exit 64
fi

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [[ -z $found ]]; then
    echo "== installing postgresql from Debian" >&2
    local sudo_cmd=()
    [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq postgresql >/dev/null
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$found"
}

# Runs a PostgreSQL program as the `postgres` user when this script runs as root (initdb refuses root).
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case $command in
  start)
    bin=$(bindir)
    mkdir -p "$dir"
    if [[ $(id -u) == 0 ]]; then chown postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" --pgdata "$dir/data" --username lienthong --auth trust --encoding UTF8 --locale C.UTF-8 >"$dir/initdb.log"
    as_owner "$bin/pg_ctl" --pgdata "$dir/data" --log "$dir/server.log" --wait --silent \
      --options "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=on -c synchronous_commit=on -c max_connections=200" \
      start
    as_owner "$bin/createdb" --host 127.0.0.1 --port "$port" --username lienthong lienthong
    url="postgresql://lienthong@127.0.0.1:$port/lienthong"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
  stop)
    bin=$(bindir)
    if [[ -f $dir/data/postmaster.pid ]]; then
      as_owner "$bin/pg_ctl" --pgdata "$dir/data" --wait --silent --mode fast stop
    fi
    ;;
  *)
    echo "usage: Scripts/postgres.sh start|stop DIR" >&2
    exit 64
    ;;
esac
