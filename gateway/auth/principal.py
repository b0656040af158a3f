"""Who is calling: the authenticated user as the request handlers see it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from shared.db.types import User


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    company_id: UUID | None
    role: Role
    email: str
    display_name: str

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            user_id=user.id,
            company_id=user.company_id,
            role=Role(user.role),
            email=user.email,
            display_name=user.display_name,
        )

    @property
    def tenant(self) -> UUID:
        """The company id for tenant-scoped work; operators have none and never get here."""
        if self.company_id is None:
            raise LookupError("operator has no company")
        return self.company_id
