"""Company managers: list, create, delete (admins only; every change audited)."""

from __future__ import annotations

import re
from typing import Annotated

import psycopg
from aiohttp import web
from pydantic import Field, StringConstraints, field_validator

from gateway.auth.principal import Role
from gateway.errors import Conflict, NotFound
from gateway.jsonio import ok
from gateway.keys import PASSWORDS, PG, PRINCIPAL, REDIS
from gateway.routing import Router
from gateway.schemas import user_public
from gateway.validation import Body, parse_body, path_uuid
from shared.db.repos import audit, users
from shared.notices import announce_access_changed

router = Router("managers")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ManagerCreate(Body):
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
    password: Annotated[str, Field(min_length=8, max_length=256)]
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = Field(
        "", alias="displayName"
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("not a valid email address")
        return value.lower()


@router.route("GET", "/api/managers", roles={Role.ADMIN}, summary="List the company's managers")
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
)
async def create_manager(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, ManagerCreate)
    password_hash = await request.app[PASSWORDS].hash(body.password)
    try:
        async with request.app[PG].connection() as conn:
            user = await users.create(
                conn,
                company_id=principal.tenant,
                email=body.email,
                password_hash=password_hash,
                role=Role.MANAGER,
                display_name=body.display_name,
            )
            await audit.record(
                conn,
                company_id=principal.tenant,
                user_id=principal.user_id,
                action="manager.create",
                target=str(user.id),
                details={"email": user.email},
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            "email: a user with this email already exists",
            details=[{"field": "email", "message": "already exists"}],
        ) from None
    return ok({"manager": user_public(user)}, status=201)


@router.route("DELETE", "/api/managers/{id}", roles={Role.ADMIN}, summary="Delete a manager")
async def delete_manager(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    manager_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        deleted = await users.delete_manager(
            conn, company_id=principal.tenant, manager_id=manager_id
        )
        if not deleted:
            raise NotFound("manager not found")
        await audit.record(
            conn,
            company_id=principal.tenant,
            user_id=principal.user_id,
            action="manager.delete",
            target=str(manager_id),
        )
    # the manager's live sockets must lose their sessions now
    await announce_access_changed(
        request.app[REDIS], company_id=principal.tenant, manager_id=manager_id
    )
    return ok({"deleted": True, "id": manager_id})
