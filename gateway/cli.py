"""Admin CLI: create companies and users, and seed the demo tenant.

``python -m gateway.cli create-company --name Acme``
``python -m gateway.cli create-user --company Acme --email a@acme.test --role admin --password ...``
``python -m gateway.cli seed-demo``  (idempotent; prints the logins)
``python -m gateway.cli disable-user --email a@acme.test`` (and ``enable-user``): takes effect at
once on every gateway (its tokens are refused, its sockets closed)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from redis.asyncio import Redis

from gateway.auth.passwords import Passwords
from shared.constants import RedisNames
from shared.db.repos import companies, users
from shared.db.types import Conn
from shared.notices import publish_access_changed
from shared.settings import Settings

DEMO_COMPANY = "Demo Company"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin("admin", "admin@demo.local", "demo-admin-1"),
    DemoLogin("manager", "anna@demo.local", "demo-manager-1"),
    DemoLogin("manager", "boris@demo.local", "demo-manager-2"),
    DemoLogin("operator", "ops@demo.local", "demo-operator-1"),
)


async def _company_id(conn: Conn, ref: str) -> UUID:
    try:
        found = await companies.get(conn, company_id=UUID(ref))
    except ValueError:
        found = await companies.get_by_name(conn, name=ref)
    if found is None:
        raise SystemExit(f"error: no company '{ref}' (give its id or exact name)")
    return found.id


async def _ensure_user(
    conn: Conn, hasher: Passwords, company_id: UUID | None, login: DemoLogin, name: str
) -> bool:
    if await users.credentials_by_email(conn, email=login.email) is not None:
        return False
    await users.create(
        conn,
        company_id=company_id,
        email=login.email,
        password_hash=hasher.hash_sync(login.password),
        role=login.role,
        display_name=name,
    )
    return True


async def seed_demo(conn: Conn, hasher: Passwords) -> list[DemoLogin]:
    """Create the demo company and its users if missing; return the logins."""
    company = await companies.get_by_name(conn, name=DEMO_COMPANY)
    if company is None:
        company = await companies.create(conn, name=DEMO_COMPANY, max_sessions=5)
    names = {
        "admin@demo.local": "Demo Admin",
        "anna@demo.local": "Anna",
        "boris@demo.local": "Boris",
    }
    for login in DEMO_LOGINS:
        cid = None if login.role == "operator" else company.id
        await _ensure_user(conn, hasher, cid, login, names.get(login.email, "Operator"))
    return list(DEMO_LOGINS)


async def _set_disabled(conn: Conn, settings: Settings, email: str, disabled: bool) -> int:
    found = await users.credentials_by_email(conn, email=email)
    if found is None:
        sys.stderr.write(f"error: no user with email {email}\n")
        return 1
    await users.set_disabled(conn, company_id=found.company_id, user_id=found.id, disabled=disabled)
    await conn.commit()  # gateways re-read the user when told: the change must be visible
    redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_s)
    try:
        gateways = await publish_access_changed(
            redis, RedisNames.of(settings), company_id=found.company_id, user_id=found.id
        )
    finally:
        await redis.aclose()
    state = "disabled" if disabled else "enabled"
    sys.stdout.write(f"user id={found.id} {state}; gateways told={gateways}\n")
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    hasher = Passwords(settings)
    async with await psycopg.AsyncConnection.connect(
        settings.database_url, row_factory=dict_row
    ) as conn:
        if args.command == "create-company":
            company = await companies.create(conn, name=args.name, max_sessions=args.max_sessions)
            sys.stdout.write(f"company id={company.id} name={company.name}\n")
        elif args.command == "create-user":
            cid = None if args.role == "operator" else await _company_id(conn, args.company or "")
            user = await users.create(
                conn,
                company_id=cid,
                email=args.email,
                password_hash=hasher.hash_sync(args.password),
                role=args.role,
                display_name=args.display_name,
            )
            sys.stdout.write(f"user id={user.id} email={user.email} role={user.role}\n")
        elif args.command in ("disable-user", "enable-user"):
            return await _set_disabled(
                conn, settings, args.email, disabled=args.command == "disable-user"
            )
        elif args.command == "seed-demo":
            for login in await seed_demo(conn, hasher):
                sys.stdout.write(f"  {login.role:<9} {login.email:<20} {login.password}\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gateway.cli", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create-company", help="create a company (tenant)")
    c.add_argument("--name", required=True)
    c.add_argument("--max-sessions", type=int, default=5)
    u = sub.add_parser("create-user", help="create an admin, manager or operator")
    u.add_argument("--company", help="company id or exact name (not for operators)")
    u.add_argument("--email", required=True)
    u.add_argument("--password", required=True)
    u.add_argument("--role", choices=["admin", "manager", "operator"], required=True)
    u.add_argument("--display-name", default="")
    sub.add_parser("seed-demo", help="create the demo company and users (idempotent)")
    for name, what in (("disable-user", "refuse"), ("enable-user", "accept again")):
        d = sub.add_parser(name, help=f"{what} a user's logins and tokens, on every gateway now")
        d.add_argument("--email", required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "create-user" and args.role != "operator" and not args.company:
        parser().error("--company is required for admins and managers")
    try:
        return asyncio.run(_run(args, Settings()))
    except psycopg.errors.UniqueViolation as exc:
        sys.stderr.write(f"error: already exists ({exc.diag.message_detail})\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
