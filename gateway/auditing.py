"""The audit row of an action taken through the API, by a user or by an API key."""

from __future__ import annotations

from typing import Any

from gateway.auth.principal import Principal
from shared.db.repos import audit
from shared.db.types import Conn


async def record(
    conn: Conn,
    principal: Principal,
    action: str,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write it on ``conn``: inside the transaction of the change it describes."""
    extra = {"apiKeyId": str(principal.key.key_id)} if principal.key is not None else {}
    await audit.record(
        conn,
        company_id=principal.tenant,
        user_id=principal.person_id,
        action=action,
        target=target,
        details={**(details or {}), **extra},
    )
