"""Who may see and act on a session: tenancy, per-session manager rights and API key limits, in
one place.

Another company's session is 404 for everyone. A manager without ``canRead`` gets 404 too (they
cannot learn it exists); with ``canRead`` but lacking the needed right, 403. An API key limited
to some sessions gets 404 for the others; its scopes (checked per route) are its rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from gateway.auth.principal import KeyGrant, Principal, Role, Scope
from gateway.chatref import ChatRef
from gateway.errors import Forbidden, NotFound, ValidationFailed
from shared.db.repos import access, chats, sessions
from shared.db.types import Access, Chat, Conn, WaSession


class Need(StrEnum):
    READ = "canRead"
    WRITE = "canWrite"
    MANAGE = "canManageChats"


@dataclass(frozen=True, slots=True)
class Rights:
    can_read: bool
    can_write: bool
    can_manage_chats: bool

    @classmethod
    def of(cls, row: Access) -> Rights:
        return cls(row.can_read, row.can_write, row.can_manage_chats)

    def allows(self, need: Need) -> bool:
        return {
            Need.READ: self.can_read,
            Need.WRITE: self.can_read and self.can_write,
            Need.MANAGE: self.can_read and self.can_manage_chats,
        }[need]


ADMIN_RIGHTS = Rights(True, True, True)


def key_rights(key: KeyGrant) -> Rights:
    """The route already checked the key's scope; on a session it reaches, a key may do what
    its scopes say."""
    return Rights(True, Scope.SEND in key.scopes, Scope.MANAGE in key.scopes)


def sees_qr(principal: Principal) -> bool:
    """QR and pairing codes link a phone: admins, and keys with the manage scope."""
    if principal.role is not Role.ADMIN:
        return False
    return principal.key is None or Scope.MANAGE in principal.key.scopes


async def readable_sessions(conn: Conn, principal: Principal) -> list[tuple[WaSession, Rights]]:
    """Every session whose events and chats the caller may read, with the caller's rights on
    it: the one answer to that question (session list, socket rooms)."""
    rows = await sessions.list_for_company(conn, company_id=principal.tenant)
    if principal.key is not None:
        key = principal.key
        return [(s, key_rights(key)) for s in rows if key.reaches(s.id)]
    if principal.role is Role.ADMIN:
        return [(s, ADMIN_RIGHTS) for s in rows]
    grants = {
        a.session_id: Rights.of(a)
        for a in await access.list_for_manager(
            conn, company_id=principal.tenant, manager_id=principal.user_id
        )
        if a.can_read
    }
    return [(s, grants[s.id]) for s in rows if s.id in grants]


async def visible_session(
    conn: Conn, principal: Principal, session_id: UUID, need: Need = Need.READ
) -> tuple[WaSession, Rights]:
    """The session and the caller's rights on it, or NotFound / Forbidden as described above."""
    session = await sessions.get(conn, company_id=principal.tenant, session_id=session_id)
    if session is None:
        raise NotFound("session not found")
    if principal.key is not None:
        if not principal.key.reaches(session_id):
            raise NotFound("session not found")
        return session, key_rights(principal.key)
    if principal.role is Role.ADMIN:
        return session, ADMIN_RIGHTS
    row = None
    if principal.role is Role.MANAGER:
        row = await access.get(
            conn, company_id=principal.tenant, session_id=session_id, manager_id=principal.user_id
        )
    if row is None or not row.can_read:
        raise NotFound("session not found")
    rights = Rights.of(row)
    if not rights.allows(need):
        raise Forbidden(f"you need the {need.value} right on this session")
    return session, rights


def page_viewer(principal: Principal, session_id: UUID) -> UUID | None:
    """For a read page whose one query checks visibility (``access.READABLE_BY_VIEWER``): the
    manager whose ``canRead`` grant must exist, or None when the session being the company's is
    enough; NotFound for an API key that does not reach the session. Same answers as
    ``visible_session(..., Need.READ)`` (a READ never gives 403)."""
    if principal.key is not None:
        if not principal.key.reaches(session_id):
            raise NotFound("session not found")
        return None
    if principal.role is Role.ADMIN:
        return None
    if principal.role is not Role.MANAGER:
        raise NotFound("session not found")
    return principal.user_id


async def visible_chat(
    conn: Conn, principal: Principal, session_id: UUID, chat: ChatRef, need: Need = Need.READ
) -> tuple[WaSession, Rights, Chat]:
    """The session, the caller's rights and the chat named by our id or any WhatsApp id of it
    (its first id, phone id or lid): the one resolver of ``{chatId}`` on every chat route."""
    session, rights = await visible_session(conn, principal, session_id, need)
    if isinstance(chat, UUID):
        row = await chats.get(
            conn, company_id=principal.tenant, session_id=session_id, chat_id=chat
        )
    else:
        row = await chats.get_by_wa_id(
            conn, company_id=principal.tenant, session_id=session_id, wa_id=chat
        )
    if row is None:
        raise NotFound("chat not found")
    return session, rights, row


async def admin_session(conn: Conn, principal: Principal, session_id: UUID) -> WaSession:
    """For admin-only routes (the Router already checked the role and a key's scope)."""
    session = await sessions.get(conn, company_id=principal.tenant, session_id=session_id)
    if session is None or (principal.key is not None and not principal.key.reaches(session_id)):
        raise NotFound("session not found")
    return session


async def company_sessions(conn: Conn, principal: Principal, ids: list[UUID], field: str) -> None:
    """Every id names a session of the caller's company (a body's session filter); else a 400
    naming ``field``."""
    known = {s.id for s in await sessions.list_for_company(conn, company_id=principal.tenant)}
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise ValidationFailed(
            f"{field}: not a session of this company: {', '.join(unknown[:5])}",
            details=[{"field": field, "message": "not a session of this company"}],
        )
