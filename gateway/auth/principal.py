"""Who is calling: the authenticated user (or API key) as the request handlers see it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from shared.db.types import ApiKey, User


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    OPERATOR = "operator"


class Scope(StrEnum):
    """What an API key may do; each route names the one it needs (gateway/routing.py)."""

    READ = "read"
    SEND = "send"
    MANAGE = "manage"


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """The limits of a caller authenticated by an API key."""

    key_id: UUID
    scopes: frozenset[Scope]
    sessions: frozenset[UUID] | None  # None: every session of the company

    def reaches(self, session_id: UUID) -> bool:
        return self.sessions is None or session_id in self.sessions


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID  # the user; for an API key, the key's id
    company_id: UUID | None
    role: Role
    email: str
    display_name: str
    key: KeyGrant | None = None  # set when the caller is an API key (acting as its company)

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            user_id=user.id,
            company_id=user.company_id,
            role=Role(user.role),
            email=user.email,
            display_name=user.display_name,
        )

    @classmethod
    def of_key(cls, key: ApiKey) -> Principal:
        """An API key acts for its company like an admin, within its scopes and sessions."""
        return cls(
            user_id=key.id,
            company_id=key.company_id,
            role=Role.ADMIN,
            email="",
            display_name=f"API key {key.name}",
            key=KeyGrant(
                key_id=key.id,
                scopes=frozenset(Scope(s) for s in key.scopes),
                sessions=frozenset(key.session_ids) if key.session_ids is not None else None,
            ),
        )

    @property
    def tenant(self) -> UUID:
        """The company id for tenant-scoped work; operators have none and never get here."""
        if self.company_id is None:
            raise LookupError("operator has no company")
        return self.company_id

    @property
    def person_id(self) -> UUID | None:
        """The user behind the call (written as ``user_id`` of audit rows, senders, grants);
        None for an API key."""
        return None if self.key is not None else self.user_id
