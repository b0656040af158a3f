"""Field types of request models: text (every string a client sends), phone numbers, paging.

Every string field of a request model is one of the ``Annotated`` text types below, all checked
by ``TextRule``: it refuses what Postgres cannot store (NUL), what UTF-8 cannot encode (lone
surrogates), control characters (newline and tab only in multi-line text), and text with nothing
visible in it (a lone zero-width space). Single-line text also refuses line separators and
bidirectional overrides, which make a name read differently than it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from gateway.validation import Query

MAX_MESSAGE_CHARS = 4096
MAX_PAGE = 100_000  # keeps OFFSET (page * limit) far from overflowing
MAX_LIMIT = 200

_PHONE_PUNCTUATION = re.compile(r"[\s\-.()]")
_DIGITS = re.compile(r"^[0-9]{7,15}$")  # ASCII only: \d also matches other scripts
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_MULTILINE_CONTROLS = frozenset("\n\r\t")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# categories that show nothing by themselves: separators, format and control characters, marks
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Mn", "Me"})
# letters that render blank (fillers, the empty braille pattern), a favourite for "empty" names
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _visible(char: str) -> bool:
    return char not in _BLANK_LETTERS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


@dataclass(frozen=True, slots=True)
class TextRule:
    """The checks every request string goes through; a marker too (a test finds it on every
    string field of every request model)."""

    multiline: bool
    need_visible: bool

    def __call__(self, value: str) -> str:
        for char in value:
            if char == "\x00":
                raise ValueError("must not contain NUL characters")
            category = unicodedata.category(char)
            if category == "Cs":
                raise ValueError("must be valid Unicode text")
            if category == "Cc" and not (self.multiline and char in _MULTILINE_CONTROLS):
                raise ValueError("must not contain control characters")
            if not self.multiline and (char in _BIDI_CONTROLS or category in ("Zl", "Zp")):
                raise ValueError("must not contain line separators or direction overrides")
        if self.need_visible and value and not any(_visible(c) for c in value):
            raise ValueError("must not be empty or only invisible characters")
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


def normalize_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value.lower()


LINE = TextRule(multiline=False, need_visible=True)
MULTILINE = TextRule(multiline=True, need_visible=True)
SECRET = TextRule(multiline=False, need_visible=False)  # any characters a person types

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(LINE),
]
OptionalName = Annotated[  # "" allowed
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(LINE)
]
SearchText = OptionalName
MessageText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS), AfterValidator(MULTILINE)
]
MAX_CAPTION_CHARS = 1024
Caption = Annotated[  # a media message's text; "" for none
    str, StringConstraints(max_length=MAX_CAPTION_CHARS), AfterValidator(MULTILINE)
]


def _plain_file_name(value: str) -> str:
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("must be a file name without a path")
    return value


FileName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(LINE),
    AfterValidator(_plain_file_name),
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(LINE)
]
Token = Annotated[str, StringConstraints(max_length=200), AfterValidator(SECRET)]  # opaque
ClientMessageId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$"),
    AfterValidator(LINE),
]
PhoneNumber = Annotated[
    str, StringConstraints(max_length=40), AfterValidator(LINE), AfterValidator(normalize_phone)
]
LoginEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(LINE),
]
NewEmail = Annotated[LoginEmail, AfterValidator(normalize_email)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(SECRET)]
NewPassword = Annotated[
    str, StringConstraints(min_length=8, max_length=256), AfterValidator(SECRET)
]


class PageQuery(Query):
    """``?page=1&limit=50``: page >= 1, 1 <= limit <= 200."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def pages(total: int, limit: int) -> int:
    return (total + limit - 1) // limit
