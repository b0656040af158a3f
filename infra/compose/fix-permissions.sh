#!/usr/bin/env bash
# Create the Synology data directories and give them to the user the containers run as.
#
#   sudo ./fix-permissions.sh            # reads DATA_DIR, PUID, PGID from ./.env or the environment
#   sudo DATA_DIR=/volume1/docker/wagateway PUID=1026 PGID=100 ./fix-permissions.sh
#
# docker-compose.synology.yml runs postgres, redis, gateways and workers as "${PUID}:${PGID}" and
# bind-mounts DATA_DIR/{postgres,redis,profiles,media}. A directory Docker creates on first start is
# owned by root, and the worker then fails with EACCES on its profile dir: run this first (and
# again after restoring a backup). It prints every change it makes.
set -euo pipefail

cd "$(dirname "$0")"

# read KEY=value from .env without executing it (the environment wins)
env_value() {
    local line=""
    [ -f .env ] && line="$(grep -E "^$1=" .env | tail -n 1 || true)"
    line="${line#*=}"
    line="${line%\"}"; line="${line#\"}"
    printf '%s' "$line"
}

DATA_DIR="${DATA_DIR:-$(env_value DATA_DIR)}"
PUID="${PUID:-$(env_value PUID)}"
PGID="${PGID:-$(env_value PGID)}"
PUID="${PUID:-1026}"
PGID="${PGID:-100}"

[ -n "$DATA_DIR" ] || { echo "fix-permissions.sh: set DATA_DIR (in .env or the environment)" >&2; exit 1; }
case "$DATA_DIR" in
    /*) ;;
    *) echo "fix-permissions.sh: DATA_DIR must be an absolute path, got '$DATA_DIR'" >&2; exit 1 ;;
esac
[[ "$PUID" =~ ^[0-9]+$ && "$PGID" =~ ^[0-9]+$ ]] \
    || { echo "fix-permissions.sh: PUID and PGID must be numeric ids" >&2; exit 1; }

echo "data dir: $DATA_DIR  owner: $PUID:$PGID"
for sub in postgres redis profiles media; do
    dir="$DATA_DIR/$sub"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        echo "created  $dir"
    fi
    # anything inside (or the dir itself) not owned by PUID:PGID, e.g. after a restore as root
    wrong="$(find "$dir" \( \! -user "$PUID" -o \! -group "$PGID" \) -print | wc -l)"
    if [ "$wrong" -gt 0 ]; then
        chown -R "$PUID:$PGID" "$dir"
        echo "chowned  $dir ($wrong entries -> $PUID:$PGID)"
    else
        echo "ok       $dir (owned by $PUID:$PGID)"
    fi
done
# postgres refuses a data directory others can read
chmod 700 "$DATA_DIR/postgres"
echo "chmod    700 $DATA_DIR/postgres"
chmod 750 "$DATA_DIR/redis" "$DATA_DIR/profiles" "$DATA_DIR/media"
echo "chmod    750 $DATA_DIR/redis $DATA_DIR/profiles $DATA_DIR/media"
echo "done: start with ./deploy.sh --synology (or Container Manager)"
