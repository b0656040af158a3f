"""Public JSON shapes of users and companies (camelCase), built from repository rows."""

from __future__ import annotations

from typing import Any

from shared.db.types import Company, User


def user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "companyId": user.company_id,
        "email": user.email,
        "role": user.role,
        "displayName": user.display_name,
        "disabled": user.disabled,
        "createdAt": user.created_at,
    }


def company_public(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "maxSessions": company.max_sessions,
        "createdAt": company.created_at,
    }
