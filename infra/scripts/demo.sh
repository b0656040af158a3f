#!/usr/bin/env bash
# `make demo`: services, migrations, demo tenant, then every process in the foreground.
# A process that exits is brought back (infra/scripts/supervise.sh), so `kill -9` of a worker
# shows failover: its session moves to the other worker, and the dead one rejoins the pool.
# Ctrl-C stops everything it started and leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="$PWD/.venv/bin/python"
RUN_DIR="$PWD/.run"
mkdir -p "$RUN_DIR/logs"

eval "$(bash infra/scripts/services.sh ensure-demo)"
export APP_DATABASE_URL APP_REDIS_URL
export APP_MODE="${APP_MODE:-demo}"
export APP_GATEWAY_PORT="${APP_GATEWAY_PORT:-8080}"
export APP_PROFILE_DIR="${APP_PROFILE_DIR:-$RUN_DIR/profiles}"
# the local nginx is the gateways' one proxy: its X-Forwarded-For names the real client
export APP_TRUSTED_PROXIES="${APP_TRUSTED_PROXIES:-127.0.0.1}"
# a demo's webhook receiver is usually on this machine (n8n, a test server): allow local targets
export APP_WEBHOOK_ALLOW_PRIVATE="${APP_WEBHOOK_ALLOW_PRIVATE:-true}"
SIM_PORT="${SIM_PORT:-8090}"
export WA_URL="${WA_URL:-http://127.0.0.1:$SIM_PORT}"
WORKERS="${WORKERS:-2}"
NGINX_PORT="${NGINX_PORT:-8000}"
GATEWAY2_PORT="${GATEWAY2_PORT:-8081}"
mkdir -p "$APP_PROFILE_DIR"

# shellcheck source=infra/scripts/supervise.sh
source infra/scripts/supervise.sh
SUP_LOG_DIR="$RUN_DIR/logs"
stop_all() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  sup_stop_all
  echo "stopped."
}
trap stop_all INT TERM EXIT

start() { # start <name> <cmd...>: runs in background, logs to .run/logs/<name>.log, restarted
  : >"$RUN_DIR/logs/$1.log"
  sup_start "$@"
}

wait_http() { # wait_http <url> <seconds>
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "timed out waiting for $1 (see $RUN_DIR/logs)"; return 1; }
    sleep 0.3
  done
}

"$PY" -m shared.db.migrate
echo "demo logins:"
"$PY" -m gateway.cli seed-demo

start simulator "$PY" -m simulator --port "$SIM_PORT"
wait_http "http://127.0.0.1:$SIM_PORT/_sim/health" 30
for i in $(seq 1 "$WORKERS"); do
  # each worker stands for a host of its own: placement spreads sessions across them
  start "worker-$i" env APP_WORKER_ID="demo-worker-$i" APP_HOST_LABEL="demo-host-$i" \
    "$PY" -m worker
done
start webhooks "$PY" -m webhooks
start gateway-1 "$PY" -m gateway
start gateway-2 env APP_GATEWAY_PORT="$GATEWAY2_PORT" "$PY" -m gateway
wait_http "http://127.0.0.1:$APP_GATEWAY_PORT/health" 30
wait_http "http://127.0.0.1:$GATEWAY2_PORT/health" 30
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
bash infra/nginx/render-local.sh "$NGINX_PORT" "$APP_GATEWAY_PORT" "$GATEWAY2_PORT" >/dev/null
start nginx "$NGINX_BIN" -p "$RUN_DIR/nginx" -e "$RUN_DIR/nginx/logs/error.log" \
  -c "$RUN_DIR/nginx/nginx.conf" -g 'daemon off;'
wait_http "http://127.0.0.1:$NGINX_PORT/health" 30

cat <<MSG

  dashboard: http://127.0.0.1:$NGINX_PORT/   (nginx in front of two gateways; API /api/..., spec /api/openapi.json)
  phone:     http://127.0.0.1:$SIM_PORT/_sim/phone   (the simulated phone: scan QR codes, chat as contacts)
  gateways:  http://127.0.0.1:$APP_GATEWAY_PORT and http://127.0.0.1:$GATEWAY2_PORT
  workers:   $WORKERS (hosts demo-host-1..$WORKERS), profiles in $APP_PROFILE_DIR
  failover:  kill -9 a worker (pids: pgrep -f 'python -m worker'): its session moves to another
             worker without a QR (Operator page: #/ops, login ops@demo.local), and it comes back
  webhooks:  the sender delivers the event log (dashboard: Webhooks; local targets allowed)
  logs:      $RUN_DIR/logs/
  try:       curl -s -X POST http://127.0.0.1:$NGINX_PORT/api/auth/login \\
              -H 'Content-Type: application/json' \\
              -d '{"email":"admin@demo.local","password":"demo-admin-1"}'

  Ctrl-C stops everything.
MSG
sup_watch
