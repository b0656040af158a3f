"""Per-session manager rights: list, grant (upsert), revoke. Every change is audited and
announced on ``ACCESS_CHANNEL`` so live sockets of that manager are re-checked."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.auth.usercache import user_changed
from gateway.errors import NotFound
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.permissions import admin_session
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared.db.repos import access, users
from shared.db.types import Access, User
from shared.events import Wire

router = Router("access")
ADMIN = {Role.ADMIN}


class AccessGrant(Body):
    manager_id: UUID = Field(alias="managerId")
    can_read: bool = Field(True, alias="canRead")
    can_write: bool = Field(False, alias="canWrite")
    can_manage_chats: bool = Field(False, alias="canManageChats")


class AccessOut(Wire):
    session_id: UUID
    manager_id: UUID
    email: str | None
    display_name: str | None
    can_read: bool
    can_write: bool
    can_manage_chats: bool
    granted_by: UUID | None
    granted_at: datetime


class AccessList(Wire):
    access: list[AccessOut]


class AccessData(Wire):
    access: AccessOut


class Revoked(Wire):
    revoked: bool
    session_id: UUID
    manager_id: UUID


def access_out(row: Access, manager: User | None) -> AccessOut:
    return AccessOut(
        session_id=row.session_id,
        manager_id=row.manager_id,
        email=manager.email if manager else None,
        display_name=manager.display_name if manager else None,
        can_read=row.can_read,
        can_write=row.can_write,
        can_manage_chats=row.can_manage_chats,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
    )


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}/access",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Managers with rights on a session",
    response=AccessList,
)
async def list_access(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        await admin_session(conn, principal, session_id)
        rows = await access.list_for_session(
            conn, company_id=principal.tenant, session_id=session_id
        )
        managers = {m.id: m for m in await users.list_managers(conn, company_id=principal.tenant)}
    out = AccessList(access=[access_out(r, managers.get(r.manager_id)) for r in rows])
    return ok(out.to_wire())


@router.route(
    "POST",
    "/api/whatsapp/sessions/{id}/access",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Grant or change a manager's rights on a session",
    body=AccessGrant,
    response=AccessData,
    description="404 when managerId is not a manager of the company.",
)
async def grant_access(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    body = await parse_body(request, AccessGrant)
    async with request.app[PG].connection() as conn, conn.transaction():
        await admin_session(conn, principal, session_id)
        manager = await users.get_manager(
            conn, company_id=principal.tenant, manager_id=body.manager_id
        )
        row = await access.grant(
            conn,
            company_id=principal.tenant,
            session_id=session_id,
            manager_id=body.manager_id,
            can_read=body.can_read,
            can_write=body.can_write,
            can_manage_chats=body.can_manage_chats,
            granted_by=principal.person_id,
        )
        if row is None or manager is None:
            raise NotFound("manager not found")
        await auditing.record(
            conn,
            principal,
            "access.grant",
            target=str(session_id),
            details={
                "managerId": str(body.manager_id),
                "canRead": body.can_read,
                "canWrite": body.can_write,
                "canManageChats": body.can_manage_chats,
            },
        )
    await user_changed(request, company_id=principal.tenant, user_id=body.manager_id)
    return ok(AccessData(access=access_out(row, manager)).to_wire())


@router.route(
    "DELETE",
    "/api/whatsapp/sessions/{id}/access/{managerId}",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Revoke a manager's rights on a session",
    response=Revoked,
    description="404 when the manager had no rights on this session.",
)
async def revoke_access(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    manager_id = path_uuid(request, "managerId")
    async with request.app[PG].connection() as conn, conn.transaction():
        await admin_session(conn, principal, session_id)
        revoked = await access.revoke(
            conn, company_id=principal.tenant, session_id=session_id, manager_id=manager_id
        )
        if not revoked:
            raise NotFound("this manager has no rights on this session")
        await auditing.record(
            conn,
            principal,
            "access.revoke",
            target=str(session_id),
            details={"managerId": str(manager_id)},
        )
    await user_changed(request, company_id=principal.tenant, user_id=manager_id)
    return ok(Revoked(revoked=True, session_id=session_id, manager_id=manager_id).to_wire())
