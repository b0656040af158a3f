#!/usr/bin/env bash
# Build and start wagateway with docker compose, then wait until it answers through nginx.
#
#   ./deploy.sh [--synology] [--workers N] [--no-build] [--init-env]
#
#   --synology    use docker-compose.synology.yml (bind mounts under DATA_DIR, PUID:PGID)
#   --workers N   number of worker containers (default: WORKERS from .env, else 3)
#   --no-build    use the images already built/pulled
#   --init-env    create .env from .env.example with fresh random secrets if it does not exist
#
# Steps: check .env has the required secrets -> validate the compose file -> build -> start
# postgres + redis and wait until healthy -> run the one-shot migration -> bring everything up
# with --scale worker=N -> wait for /health (always 200 once nginx reaches a gateway).
# ENV_FILE overrides ./.env; COMPOSE overrides the compose command (default: `docker compose`,
# else `docker-compose`); HEALTH_TIMEOUT_S how long to wait for /health (default 180).
set -euo pipefail

cd "$(dirname "$0")"

file="docker-compose.yml"
workers=""
build=1
init_env=0

while [ $# -gt 0 ]; do
    case "$1" in
        --synology) file="docker-compose.synology.yml" ;;
        --workers) workers="${2:?--workers needs a number}"; shift ;;
        --no-build) build=0 ;;
        --init-env) init_env=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "deploy.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "deploy.sh: $*" >&2; exit 1; }

env_file="${ENV_FILE:-$PWD/.env}"

# --- 1. .env and its required secrets --------------------------------------------------------
if [ ! -f "$env_file" ]; then
    [ "$init_env" = 1 ] || die "$env_file is missing: cp .env.example .env and set POSTGRES_PASSWORD, APP_JWT_SECRET and APP_SNAPSHOT_KEY (or run with --init-env)"
    command -v openssl >/dev/null || die "openssl is needed to generate secrets"
    sed -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$(openssl rand -hex 24)/" \
        -e "s/^APP_JWT_SECRET=.*/APP_JWT_SECRET=$(openssl rand -hex 32)/" \
        -e "s/^APP_SNAPSHOT_KEY=.*/APP_SNAPSHOT_KEY=$(openssl rand -hex 32)/" \
        .env.example >"$env_file"
    chmod 600 "$env_file"
    echo "created $env_file with random secrets (keep it; the database password is in it)"
fi

# read KEY=value from the env file without executing it
env_value() {
    local line
    line="$(grep -E "^$1=" "$env_file" | tail -n 1 || true)"
    line="${line#*=}"
    line="${line%\"}"; line="${line#\"}"
    printf '%s' "$line"
}

pg_password="$(env_value POSTGRES_PASSWORD)"
jwt_secret="$(env_value APP_JWT_SECRET)"
[ -n "$pg_password" ] || die "POSTGRES_PASSWORD is empty in .env (openssl rand -hex 24)"
[[ "$pg_password" =~ ^[A-Za-z0-9._~-]+$ ]] \
    || die "POSTGRES_PASSWORD must be URL-safe (letters, digits, . _ ~ -): it goes into APP_DATABASE_URL"
[ -n "$jwt_secret" ] || die "APP_JWT_SECRET is empty in .env (openssl rand -hex 32)"
[ "${#jwt_secret}" -ge 32 ] || die "APP_JWT_SECRET must be at least 32 characters"
snapshot_key="$(env_value APP_SNAPSHOT_KEY)"
[ "${#snapshot_key}" -ge 32 ] || die "APP_SNAPSHOT_KEY must be at least 32 characters (openssl rand -hex 32)"

workers="${workers:-$(env_value WORKERS)}"
workers="${workers:-3}"
[[ "$workers" =~ ^[0-9]+$ ]] || die "--workers/WORKERS must be a number, got '$workers'"
http_port="$(env_value HTTP_PORT)"
if [ "$file" = "docker-compose.synology.yml" ]; then
    http_port="${http_port:-8880}"
    data_dir="$(env_value DATA_DIR)"
    [ -n "$data_dir" ] || die "DATA_DIR is empty in .env (e.g. /volume1/docker/wagateway)"
    for sub in postgres redis profiles; do
        [ -d "$data_dir/$sub" ] || die "$data_dir/$sub is missing: run sudo ./fix-permissions.sh first"
    done
else
    http_port="${http_port:-80}"
fi

# --- 2. the compose command ------------------------------------------------------------------
if [ -n "${COMPOSE:-}" ]; then
    read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    command -v docker-compose >/dev/null || die "neither 'docker compose' nor 'docker-compose' found"
    compose=(docker-compose)
fi
compose+=(--env-file "$env_file" -f "$file")
run() { echo "+ ${compose[*]} $*"; "${compose[@]}" "$@"; }

# --- 3. validate, build ----------------------------------------------------------------------
run config -q
[ "$build" = 0 ] || run build

# --- 4. databases first, then the one-shot migration -----------------------------------------
run up -d postgres redis
wait_healthy() { # wait_healthy <service> <seconds>
    local deadline=$((SECONDS + $2)) id status
    while :; do
        id="$("${compose[@]}" ps -q "$1" | head -n 1)"
        status="$([ -n "$id" ] && docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || true)"
        [ "$status" = healthy ] && return 0
        [ $SECONDS -lt "$deadline" ] || die "$1 is not healthy after $2 s (status: ${status:-none}); see: ${compose[*]} logs $1"
        sleep 2
    done
}
if [ -z "${COMPOSE:-}" ]; then
    wait_healthy postgres 120
    wait_healthy redis 60
fi
run run --rm migrate

# --- 5. everything, with N workers -----------------------------------------------------------
run up -d --remove-orphans --scale "worker=$workers"

# --- 6. wait for /health through nginx -------------------------------------------------------
url="http://127.0.0.1:$http_port/health"
echo "waiting for $url ..."
deadline=$((SECONDS + ${HEALTH_TIMEOUT_S:-180}))
until body="$(curl -fsS --max-time 5 "$url" 2>/dev/null)"; do
    [ $SECONDS -lt "$deadline" ] || die "no answer on $url; see: ${compose[*]} logs nginx gateway1"
    sleep 2
done
echo "$body"
echo "up: http://<this host>:$http_port/  ($workers workers; scale: ./deploy.sh --no-build --workers N)"
