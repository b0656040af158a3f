"""Operators' view of hosts (free and busy workers per host label) and draining one: its
workers take no new session and its sessions move to other hosts one at a time, by hand-off."""

from __future__ import annotations

import re

from aiohttp import web

from gateway.auth.principal import Role
from gateway.errors import NotFound, ValidationFailed
from gateway.jsonio import ok
from gateway.keys import NAMES, PG, PRINCIPAL, REDIS
from gateway.routing import Router
from shared.db.repos import audit
from shared.events import Wire
from shared.fleet import read_fleet
from shared.settings import HOST_LABEL_PATTERN

router = Router("ops")
OPERATOR = {Role.OPERATOR}


class HostOut(Wire):
    host: str
    free: int  # idle workers that may take a session
    busy: int  # workers owning (starting, stopping) a session
    draining: bool
    idle_draining: int  # idle workers of a draining host (they take nothing)
    sessions: list[str]  # ids of the sessions its workers hold
    moving: str | None  # while draining: the session on its way to another host


class HostList(Wire):
    hosts: list[HostOut]


class DrainOut(Wire):
    host: str
    draining: bool
    message: str


def _host(request: web.Request) -> str:
    raw = request.match_info["host"]
    if not re.fullmatch(HOST_LABEL_PATTERN, raw):
        raise ValidationFailed(
            "host: not a host label", details=[{"field": "host", "message": "invalid"}]
        )
    return raw


@router.route(
    "GET",
    "/api/ops/hosts",
    roles=OPERATOR,
    summary="Hosts (worker host labels): free and busy workers, draining, sessions held",
    response=HostList,
)
async def list_hosts(request: web.Request) -> web.Response:
    redis, names = request.app[REDIS], request.app[NAMES]
    hosts = (await read_fleet(redis, names)).hosts()
    moving = await redis.mget([names.drain_moving_key(h) for h in hosts]) if hosts else []
    out = HostList(
        hosts=[
            HostOut(
                host=h.host,
                free=h.free,
                busy=h.busy,
                draining=h.draining,
                idle_draining=h.idle_draining,
                sessions=sorted(h.sessions),
                moving=m.decode() if m else None,
            )
            for h, m in zip(hosts.values(), moving, strict=True)
        ]
    )
    return ok(out.to_wire())


async def _audit(request: web.Request, action: str, host: str) -> None:
    async with request.app[PG].connection() as conn:
        await audit.record(
            conn,
            company_id=None,
            user_id=request[PRINCIPAL].user_id,
            action=action,
            target=host,
            details={},
        )


@router.route(
    "POST",
    "/api/ops/hosts/{host}/drain",
    roles=OPERATOR,
    summary="Drain a host: it takes no new session; its sessions move elsewhere one at a time",
    response=DrainOut,
    description="Each session moves by hand-off (no new QR) once another host has a free"
    " worker. 404 unless the host has a live worker or is draining already.",
)
async def drain_host(request: web.Request) -> web.Response:
    host = _host(request)
    redis, names = request.app[REDIS], request.app[NAMES]
    fleet = await read_fleet(redis, names)
    if host not in fleet.hosts():
        raise NotFound("no live worker on this host")
    added = int(await redis.sadd(names.draining_hosts, host))  # type: ignore[misc]
    if added:
        await _audit(request, "host.drain", host)
    message = "draining" if added else "already draining"
    return ok(DrainOut(host=host, draining=True, message=message).to_wire())


@router.route(
    "DELETE",
    "/api/ops/hosts/{host}/drain",
    roles=OPERATOR,
    summary="Stop draining a host: its workers take sessions again",
    response=DrainOut,
)
async def undrain_host(request: web.Request) -> web.Response:
    host = _host(request)
    redis, names = request.app[REDIS], request.app[NAMES]
    removed = int(await redis.srem(names.draining_hosts, host))  # type: ignore[misc]
    if removed:
        await redis.delete(names.drain_moving_key(host))
        await _audit(request, "host.undrain", host)
    message = "takes sessions again" if removed else "was not draining"
    return ok(DrainOut(host=host, draining=False, message=message).to_wire())
