"""Who may see and act on a session: tenancy and per-session manager rights, in one place.

Another company's session is 404 for everyone. A manager without ``canRead`` gets 404 too (they
cannot learn it exists); with ``canRead`` but lacking the needed right, 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from gateway.auth.principal import Principal, Role
from gateway.chatref import ChatRef
from gateway.errors import Forbidden, NotFound
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


async def visible_session(
    conn: Conn, principal: Principal, session_id: UUID, need: Need = Need.READ
) -> tuple[WaSession, Rights]:
    """The session and the caller's rights on it, or NotFound / Forbidden as described above."""
    session = await sessions.get(conn, company_id=principal.tenant, session_id=session_id)
    if session is None:
        raise NotFound("session not found")
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
    """For admin-only routes (the Router already checked the role)."""
    session = await sessions.get(conn, company_id=principal.tenant, session_id=session_id)
    if session is None:
        raise NotFound("session not found")
    return session
