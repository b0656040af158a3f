"""``POST /api/auth/login`` and ``GET /api/auth/me``."""

from __future__ import annotations

from aiohttp import web

from gateway.auth.principal import Role
from gateway.auth.ratelimit import LoginRateLimiter
from gateway.auth.tokens import issue_token
from gateway.errors import TooManyRequests, Unauthorized
from gateway.fields import LoginEmail, Password
from gateway.forwarded import client
from gateway.jsonio import ok
from gateway.keys import PASSWORDS, PG, PRINCIPAL, SETTINGS
from gateway.routing import ANY_USER, Router
from gateway.schemas import company_public, user_public
from gateway.validation import Body, parse_body
from shared.db.repos import companies, users

router = Router("auth")
LOGIN_LIMITER = web.AppKey("login_limiter", LoginRateLimiter)


class LoginBody(Body):
    email: LoginEmail
    password: Password


@router.route(
    "POST",
    "/api/auth/login",
    roles=None,
    summary="Log in; returns a JWT",
    body=LoginBody,
    errors=(429,),
    description="Rate limited per email + client address and per client address (429).",
)
async def login(request: web.Request) -> web.Response:
    body = await parse_body(request, LoginBody)
    limiter = request.app[LOGIN_LIMITER]
    address = client(request).address
    wait_s = await limiter.check(body.email, address)
    if wait_s is not None:
        raise TooManyRequests(
            f"too many login attempts; try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )
    async with request.app[PG].connection() as conn:
        creds = await users.credentials_by_email(conn, email=body.email)
    valid = await request.app[PASSWORDS].verify(
        creds.password_hash if creds else None, body.password
    )
    if creds is None or not valid:
        await limiter.failed(address)
        raise Unauthorized("wrong email or password")
    if creds.disabled:
        raise Unauthorized("this account is disabled")
    await limiter.succeeded(body.email, address)
    user = creds.public()
    token, expires_at = issue_token(request.app[SETTINGS], user)
    return ok({"token": token, "expiresAt": expires_at, "user": user_public(user)})


@router.route(
    "GET",
    "/api/auth/me",
    roles=ANY_USER,
    summary="The calling user and company",
    description="With the limits a client checks before it sends: `limits.mediaMaxBytes` (the "
    "largest media file, APP_MEDIA_MAX_MB).",
)
async def me(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    async with request.app[PG].connection() as conn:
        user = await users.get_active(conn, user_id=principal.user_id)
        company = (
            await companies.get(conn, company_id=principal.company_id)
            if principal.role is not Role.OPERATOR and principal.company_id
            else None
        )
    if user is None:  # disabled or deleted since its token was checked (the cache's window)
        raise Unauthorized("user no longer exists or is disabled")
    return ok(
        {
            "user": user_public(user),
            "company": company_public(company) if company else None,
            "limits": {"mediaMaxBytes": request.app[SETTINGS].media_max_mb * 1024 * 1024},
        }
    )
