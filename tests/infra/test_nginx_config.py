"""The nginx config: `nginx -t` passes for both variants; the rules the seeds got wrong hold."""

from __future__ import annotations

import re
from pathlib import Path

from shared.settings import Settings
from tests.support.nginx import NGINX_DIR, config_test, free_port, render, self_signed_cert


def _conf(name: str) -> str:
    return (NGINX_DIR / name).read_text()


def _location(name: str) -> str:
    """The body of ``location <name> {...}`` in locations.conf (one level of nested braces)."""
    text = _conf("locations.conf")
    match = re.search(r"location\s+" + re.escape(name) + r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}", text)
    assert match, f"no location {name}"
    return match.group(1)


def test_plain_config_passes_nginx_t(nginx_bin: str, prefix: Path) -> None:
    conf = render(prefix, free_port(), [free_port(), free_port()])
    done = config_test(nginx_bin, prefix, conf)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_tls_config_passes_nginx_t(nginx_bin: str, prefix: Path) -> None:
    certs = prefix / "certs"
    self_signed_cert(certs)
    conf = render(
        prefix, free_port(), [free_port(), free_port()], cert_dir=certs, https_port=free_port()
    )
    text = conf.read_text()
    assert f"ssl_certificate     {certs}/fullchain.pem;" in text
    assert f"ssl_certificate_key {certs}/privkey.pem;" in text
    done = config_test(nginx_bin, prefix, conf)
    assert done.returncode == 0, done.stderr


def test_rendered_config_keeps_everything_but_runtime_paths(prefix: Path) -> None:
    conf = render(prefix, 18080, [18081, 18082])
    assert (prefix / "locations.conf").read_text() == _conf("locations.conf")
    assert (prefix / "upstream.conf").read_text().splitlines()[1:] == [
        "server 127.0.0.1:18081 max_fails=3 fail_timeout=10s;",
        "server 127.0.0.1:18082 max_fails=3 fail_timeout=10s;",
    ]
    rendered = conf.read_text() + (prefix / "http-common.conf").read_text()
    assert "/var/cache/nginx" not in rendered
    assert "/var/run" not in rendered
    assert "listen 127.0.0.1:18080 default_server;" in rendered


def test_upstream_lists_the_compose_gateways_once() -> None:
    servers = re.findall(r"^server\s+(\S+)", _conf("upstream.conf"), re.MULTILINE)
    assert servers == ["gateway1:8080", "gateway2:8080"]
    common = _conf("http-common.conf")
    # both upstream blocks take their servers from that one file; Socket.IO's is sticky
    assert common.count("include upstream.conf;") == 2
    sticky = re.search(r"upstream wagateway_sticky \{([^}]*)\}", common)
    assert sticky and "ip_hash;" in sticky.group(1)
    assert "server " not in common


def test_socketio_location_upgrades_and_sticks() -> None:
    common = _conf("http-common.conf")
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{[^}]*default upgrade;", common)
    body = _location("/socket.io/")
    assert "proxy_pass http://wagateway_sticky;" in body
    assert "proxy_set_header Upgrade    $http_upgrade;" in body
    assert "proxy_set_header Connection $connection_upgrade;" in body
    assert "proxy_buffering    off;" in body
    timeout = re.search(r"proxy_read_timeout (\d+)s;", body)
    assert timeout and int(timeout.group(1)) >= 300


def test_api_and_health_are_proxied_with_client_headers() -> None:
    proxy = _conf("proxy-headers.conf")
    for header in ("X-Real-IP         $remote_addr", "X-Forwarded-For", "X-Request-ID"):
        assert f"proxy_set_header {header}" in proxy
    for name in ("/api/", "= /health", "= /whatsapp/status", "= /metrics", "/"):
        body = _location(name)
        assert "include proxy-headers.conf;" in body, name
        assert "proxy_pass http://wagateway_api;" in body, name


def test_metrics_only_from_loopback_and_private_networks() -> None:
    body = _location("= /metrics")
    rules = re.findall(r"^\s*(allow|deny)\s+(\S+);", body, re.MULTILINE)
    assert rules[-1] == ("deny", "all")
    allowed = {net for verb, net in rules if verb == "allow"}
    assert {"127.0.0.1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= allowed
    assert "all" not in allowed


def test_body_limit_is_at_least_the_gateways() -> None:
    match = re.search(r"client_max_body_size\s+(\d+)k;", _conf("http-common.conf"))
    assert match
    limit = int(match.group(1)) * 1024
    gateway_limit = Settings(mode="test").max_body_bytes
    # a little above: the gateway's own JSON 413 answers near the limit, nginx stops the rest
    assert gateway_limit <= limit <= 2 * gateway_limit


def test_runtime_paths_are_absolute() -> None:
    for name in ("nginx.conf", "nginx-tls.conf"):
        text = _conf(name)
        assert re.search(r"^pid\s+/\S+;", text, re.MULTILINE), name
        assert re.search(r"^error_log\s+/\S+", text, re.MULTILINE), name
        assert "include http-common.conf;" in text
    for match in re.finditer(r"^(\w+_temp_path)\s+(\S+);", _conf("http-common.conf"), re.M):
        assert match.group(2).startswith("/"), match.group(1)
