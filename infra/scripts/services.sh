#!/usr/bin/env bash
# Makes sure Postgres and Redis answer.
#   ensure-test : the machine's own services (127.0.0.1:5432 / :6379); starts them if they are down.
#   ensure-demo : the configured ones (APP_DATABASE_URL / APP_REDIS_URL) if set; otherwise the
#                 machine's if they answer; otherwise private instances under .run/ (ports 55432,
#                 56379). Prints the URLs to use as shell assignments.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN_DIR="$PWD/.run"

pg_up()    { pg_isready -q -h "$1" -p "$2" >/dev/null 2>&1; }
redis_up() { redis-cli -h "$1" -p "$2" ping >/dev/null 2>&1; }

wait_for() { # wait_for <seconds> <cmd...>
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

start_machine_postgres() {
  local ver
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$ver" ] || return 1
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
  wait_for 30 pg_up 127.0.0.1 5432
}

start_machine_redis() {
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile /tmp/redis-6379.log >/dev/null
  wait_for 15 redis_up 127.0.0.1 6379
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_private_postgres() {
  local bin data="$RUN_DIR/pg"
  bin=$(pg_bin)
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres "$RUN_DIR" "$data"; fi
  local as=(); [ "$(id -u)" = 0 ] && as=(su postgres -s /bin/sh -c)
  run_pg() { if [ ${#as[@]} -gt 0 ]; then "${as[@]}" "$*"; else sh -c "$*"; fi; }
  if [ ! -f "$data/PG_VERSION" ]; then
    run_pg "$bin/initdb -D $data -U postgres --auth=trust >/dev/null"
  fi
  run_pg "$bin/pg_ctl -D $data -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1' -l $data/log -w start >/dev/null"
  wait_for 30 pg_up 127.0.0.1 55432
}

start_private_redis() {
  mkdir -p "$RUN_DIR"
  redis-server --daemonize yes --bind 127.0.0.1 --port 56379 --save "" --appendonly no \
    --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" >/dev/null
  wait_for 15 redis_up 127.0.0.1 56379
}

ensure_test() {
  pg_up 127.0.0.1 5432 || start_machine_postgres || { echo "postgres did not start" >&2; exit 1; }
  redis_up 127.0.0.1 6379 || start_machine_redis || { echo "redis did not start" >&2; exit 1; }
  echo "services: postgres 127.0.0.1:5432 and redis 127.0.0.1:6379 answer"
}

ensure_demo() {
  local db_url="${APP_DATABASE_URL:-}" redis_url="${APP_REDIS_URL:-}"
  if [ -z "$db_url" ]; then
    if pg_up 127.0.0.1 5432; then
      db_url="postgresql://postgres@127.0.0.1:5432/wagateway_demo"
    else
      start_private_postgres >&2 || { echo "could not start a private postgres" >&2; exit 1; }
      db_url="postgresql://postgres@127.0.0.1:55432/wagateway_demo"
    fi
    local admin="${db_url%/*}/postgres" name="${db_url##*/}"
    psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1 \
      || psql "$admin" -qc "CREATE DATABASE $name" >&2
  fi
  if [ -z "$redis_url" ]; then
    if redis_up 127.0.0.1 6379; then
      redis_url="redis://127.0.0.1:6379/1"
    else
      start_private_redis >&2 || { echo "could not start a private redis" >&2; exit 1; }
      redis_url="redis://127.0.0.1:56379/0"
    fi
  fi
  echo "APP_DATABASE_URL=$db_url"
  echo "APP_REDIS_URL=$redis_url"
}

case "${1:-}" in
  ensure-test) ensure_test ;;
  ensure-demo) ensure_demo ;;
  *) echo "usage: $0 ensure-test|ensure-demo" >&2; exit 2 ;;
esac
