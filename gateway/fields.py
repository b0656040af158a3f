"""Field types of request models: text Postgres can store, message text, phone numbers, paging."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from gateway.validation import Query

MAX_MESSAGE_CHARS = 4096
MAX_PAGE = 100_000  # keeps OFFSET (page * limit) far from overflowing
MAX_LIMIT = 200

_PHONE_PUNCTUATION = re.compile(r"[\s\-.()]")
_DIGITS = re.compile(r"^[0-9]{7,15}$")  # ASCII only: \d also matches other scripts


def storable(value: str) -> str:
    # Postgres text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def normalize_phone(value: str) -> str:
    """``+7 (912) 345-67.89`` -> ``79123456789``; 7-15 digits or ValueError."""
    digits = _PHONE_PUNCTUATION.sub("", value.strip())
    digits = digits.removeprefix("+")
    if not _DIGITS.match(digits):
        raise ValueError(
            "must be a phone number of 7-15 digits (a leading +, spaces, dashes, dots and"
            " parentheses are allowed)"
        )
    return digits


SafeText = Annotated[str, AfterValidator(storable)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(storable),
]
MessageText = Annotated[
    str,
    Field(min_length=1, max_length=MAX_MESSAGE_CHARS),
    AfterValidator(storable),
    AfterValidator(_not_blank),
]
ClientMessageId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$"),
]
PhoneNumber = Annotated[str, Field(max_length=40), AfterValidator(normalize_phone)]


class PageQuery(Query):
    """``?page=1&limit=50``: page >= 1, 1 <= limit <= 200."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def pages(total: int, limit: int) -> int:
    return (total + limit - 1) // limit
