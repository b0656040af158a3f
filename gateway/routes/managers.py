"""Company managers: list, create, delete (admins only; every change audited)."""

from __future__ import annotations

import psycopg
from aiohttp import web
from pydantic import Field

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.auth.usercache import user_changed
from gateway.errors import Conflict, NotFound
from gateway.fields import NewEmail, NewPassword, OptionalName
from gateway.jsonio import ok
from gateway.keys import PASSWORDS, PG, PRINCIPAL
from gateway.routing import Router
from gateway.schemas import user_public
from gateway.validation import Body, parse_body, path_uuid
from shared.db.pool import LONG_UNIT_S
from shared.db.repos import users

router = Router("managers")


class ManagerCreate(Body):
    email: NewEmail
    password: NewPassword
    display_name: OptionalName = Field("", alias="displayName")


@router.route(
    "GET",
    "/api/managers",
    roles={Role.ADMIN},
    summary="List the company's managers",
    scope=Scope.MANAGE,
    company_wide=True,
)
async def list_managers(request: web.Request) -> web.Response:
    company_id = request[PRINCIPAL].tenant
    async with request.app[PG].connection() as conn:
        rows = await users.list_managers(conn, company_id=company_id)
    return ok({"managers": [user_public(u) for u in rows]})


@router.route(
    "POST",
    "/api/managers",
    roles={Role.ADMIN},
    summary="Create a manager",
    body=ManagerCreate,
    status=201,
    scope=Scope.MANAGE,
    company_wide=True,
)
async def create_manager(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, ManagerCreate)
    password_hash = await request.app[PASSWORDS].hash(body.password)
    try:
        async with request.app[PG].connection() as conn, conn.transaction():
            user = await users.create(
                conn,
                company_id=principal.tenant,
                email=body.email,
                password_hash=password_hash,
                role=Role.MANAGER,
                display_name=body.display_name,
            )
            await auditing.record(
                conn,
                principal,
                "manager.create",
                target=str(user.id),
                details={"email": user.email},
            )
    except psycopg.errors.UniqueViolation:
        # emails are unique across the platform; the answer is the same whoever holds the address
        # (this company, another one, an operator), so an admin learns nothing about the others
        raise Conflict(
            "email: this address cannot be used for a new manager; choose another",
            details=[{"field": "email", "message": "cannot be used"}],
        ) from None
    return ok({"manager": user_public(user)}, status=201)


@router.route(
    "DELETE",
    "/api/managers/{id}",
    roles={Role.ADMIN},
    summary="Delete a manager",
    scope=Scope.MANAGE,
    company_wide=True,
)
async def delete_manager(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    manager_id = path_uuid(request, "id")
    # a long unit of work: the manager's messages and assignments are updated with it
    async with request.app[PG].connection(timeout=LONG_UNIT_S) as conn, conn.transaction():
        deleted = await users.delete_manager(
            conn, company_id=principal.tenant, manager_id=manager_id
        )
        if not deleted:
            raise NotFound("manager not found")
        await auditing.record(conn, principal, "manager.delete", target=str(manager_id))
    # the manager's live sockets must lose their sessions now
    await user_changed(request, company_id=principal.tenant, user_id=manager_id)
    return ok({"deleted": True, "id": manager_id})
