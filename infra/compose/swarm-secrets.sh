#!/bin/sh
# Swarm entrypoint of the app services (mounted as a Swarm config, see docker-stack.yml): every
# Docker secret /run/secrets/<NAME> becomes the environment variable NAME, then the command runs.
# Secrets never appear in `docker service inspect` this way, only inside the container.
set -eu
for file in "${SECRETS_DIR:-/run/secrets}"/*; do
    [ -f "$file" ] || continue
    name="$(basename "$file")"
    case "$name" in
        *[!A-Za-z0-9_]* | [0-9]*) echo "wagw-secrets: skipping $name (not a variable name)" >&2 ;;
        *) export "$name=$(cat "$file")" ;;
    esac
done
exec "$@"
