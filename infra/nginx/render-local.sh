#!/usr/bin/env bash
# Render a runnable, unprivileged copy of the nginx config for this machine (demo, tests).
#
#   infra/nginx/render-local.sh [-o OUT_DIR] [-H LISTEN_HOST] [-t CERT_DIR -s HTTPS_PORT] \
#       LISTEN_PORT GATEWAY_PORT [GATEWAY_PORT...]
#
# Writes OUT_DIR (default .run/nginx) with the repo's config files, where
#   - upstream.conf lists 127.0.0.1:<GATEWAY_PORT> for each given port (the same upstream blocks,
#     sticky Socket.IO included, as in compose),
#   - pid, logs and temp dirs live under OUT_DIR, `listen 80` becomes LISTEN_HOST:LISTEN_PORT,
#   - with -t: nginx-tls.conf reads CERT_DIR/{fullchain,privkey}.pem and listens for HTTPS on
#     HTTPS_PORT (its HTTP port then only redirects).
# Prints the command that runs it in the foreground, e.g.
#   nginx -p .run/nginx -e .run/nginx/logs/error.log -c .run/nginx/nginx.conf -g 'daemon off;'
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out=""
listen_host="127.0.0.1"
cert_dir=""
https_port=""

usage() {
    sed -n '4,6p' "$0" >&2
    exit 2
}

while getopts "o:H:t:s:h" opt; do
    case "$opt" in
        o) out="$OPTARG" ;;
        H) listen_host="$OPTARG" ;;
        t) cert_dir="$OPTARG" ;;
        s) https_port="$OPTARG" ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
if [ -n "$cert_dir" ] && [ -z "$https_port" ]; then
    echo "render-local.sh: -t CERT_DIR needs -s HTTPS_PORT" >&2
    exit 2
fi

listen_port="$1"
shift
for port in "$listen_port" "$@" ${https_port:+"$https_port"}; do
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "render-local.sh: not a port: $port" >&2; exit 2; }
done

# Default output: .run/nginx at the repo root. Absolute paths only (nginx resolves against -p).
out="${out:-$here/../../.run/nginx}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
mkdir -p "$out/logs" "$out/tmp" "$out/acme"
# nginx workers run as an unprivileged user when the master is root: they must reach the temp dirs
chmod 755 "$out" "$out/logs" "$out/tmp" "$out/acme"

# 1. copy every config file; 2. rewrite the runtime paths and listen addresses
cp "$here"/*.conf "$out/"
for f in "$out"/*.conf; do
    sed -i \
        -e "s#/var/run/nginx.pid#$out/nginx.pid#" \
        -e "s#error_log  /dev/stderr#error_log  $out/logs/error.log#" \
        -e "s#access_log /dev/stdout#access_log $out/logs/access.log#" \
        -e "s#/var/cache/nginx/#$out/tmp/#" \
        -e "s#listen 80 default_server;#listen $listen_host:$listen_port default_server;#" \
        -e "s#root /etc/nginx/wagateway/acme;#root $out/acme;#" \
        "$f"
    if [ -n "$cert_dir" ]; then
        cert_abs="$(cd "$cert_dir" && pwd)"
        sed -i \
            -e "s#/etc/nginx/certs/#$cert_abs/#" \
            -e "s#listen 443 ssl default_server;#listen $listen_host:$https_port ssl default_server;#" \
            -e "s#return 301 https://\$host\$request_uri;#return 301 https://\$host:$https_port\$request_uri;#" \
            "$f"
    fi
done

# 3. the local upstream: the given gateway ports on loopback (no `resolve`: plain addresses)
{
    echo "# rendered by infra/nginx/render-local.sh: local gateways"
    for port in "$@"; do
        echo "server 127.0.0.1:$port max_fails=3 fail_timeout=10s;"
    done
} >"$out/upstream.conf"

main="$out/nginx.conf"
[ -z "$cert_dir" ] || main="$out/nginx-tls.conf"
echo "nginx -p $out -e $out/logs/error.log -c $main -g 'daemon off;'"
