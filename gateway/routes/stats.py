"""``GET /api/whatsapp/stats``: sessions, chats and 30 days of message counts (per day, UTC)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from aiohttp import web
from pydantic import Field

from gateway.auth.principal import Role, Scope
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.routing import Router
from shared.db.repos import stats
from shared.events import Wire

router = Router("stats")
DAYS = 30


class DayOut(Wire):
    day: date = Field(alias="date")
    incoming: int = Field(alias="in")
    outgoing: int = Field(alias="out")


class MessageStats(Wire):
    incoming: int = Field(alias="in")
    outgoing: int = Field(alias="out")
    total: int
    per_day: list[DayOut]  # oldest first, one entry per day, zero-filled


class StatsOut(Wire):
    scope: Literal["company", "granted"]
    days: int
    active_sessions: int  # state ready
    total_sessions: int
    chats: int
    messages: MessageStats


@router.route(
    "GET",
    "/api/whatsapp/stats",
    roles={Role.ADMIN, Role.MANAGER},
    scope=Scope.READ,
    summary="Sessions, chats and messages of the last 30 days (managers: granted sessions)",
    response=StatsOut,
)
async def get_stats(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    manager_id = principal.user_id if principal.role is Role.MANAGER else None
    limit = principal.key.sessions if principal.key is not None else None
    async with request.app[PG].connection() as conn:
        figures = await stats.summary(
            conn,
            company_id=principal.tenant,
            manager_id=manager_id,
            session_ids=sorted(limit) if limit is not None else None,
            days=DAYS,
        )
    out = StatsOut(
        scope="granted" if manager_id or limit is not None else "company",
        days=DAYS,
        active_sessions=figures.active_sessions,
        total_sessions=figures.total_sessions,
        chats=figures.chats,
        messages=MessageStats(
            incoming=figures.incoming,
            outgoing=figures.outgoing,
            total=figures.incoming + figures.outgoing,
            per_day=[
                DayOut(day=d.day, incoming=d.incoming, outgoing=d.outgoing) for d in figures.per_day
            ],
        ),
    )
    return ok(out.to_wire())
