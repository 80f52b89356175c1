#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (scale-out, docs/scale-out.md).
#   build/postgres.sh start [DIR]  installs Debian's postgresql when missing (root, apt), creates a cluster in
#                                  DIR (default: a new temp dir) on a free port, creates database "comfysharp"
#                                  and prints `export COMFYSHARP_TEST_POSTGRES=...` and `export COMFYSHARP_TEST_POSTGRES_DIR=...`
#                                  (use: eval "$(build/postgres.sh start)").
#   build/postgres.sh stop [DIR]   stops the cluster (DIR defaults to $COMFYSHARP_TEST_POSTGRES_DIR) and deletes DIR.
# Idempotent: `start` on a DIR whose cluster runs prints its variables again; `stop` on nothing does nothing.
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_postgres() {
  if [ -n "$(pg_bin || true)" ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then echo "postgres.sh: PostgreSQL is not installed and this is not root (apt-get install postgresql)" >&2; return 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  # Debian starts its own cluster on 5432; the tests never use it.
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install_postgres
  local bin dir port
  bin=$(pg_bin)
  dir=${1:-$(mktemp -d /tmp/comfysharp-pg.XXXXXX)}
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
  if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    port=$(cat "$dir/port")
  else
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    port=$(free_port)
    # fsync off: a throw-away test cluster trades durability across power loss for speed.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >&2 \
      || { cat "$dir/server.log" >&2; return 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres comfysharp 2>/dev/null || true
    echo "$port" >"$dir/port"
  fi
  echo "export COMFYSHARP_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=comfysharp'"
  echo "export COMFYSHARP_TEST_POSTGRES_DIR='$dir'"
}

stop() {
  local dir=${1:-${COMFYSHARP_TEST_POSTGRES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  local bin
  bin=$(pg_bin || true)
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: build/postgres.sh start [DIR] | stop [DIR]" >&2; exit 2 ;;
esac
