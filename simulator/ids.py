"""Identifiers shaped like WhatsApp's: QR refs, keys, message ids, JIDs; phone number checks."""

from __future__ import annotations

import base64
import re
import secrets

from simulator.errors import bad_request

_PHONE = re.compile(r"^\d{7,15}$")
_GROUP = re.compile(r"^(\d{5,20}-\d{5,20})(@g\.us)?$")
_USER_JID = re.compile(r"^(\d{7,15})@c\.us$")


def _b64(nbytes: int) -> str:
    return base64.b64encode(secrets.token_bytes(nbytes)).decode()


def new_ref() -> str:
    """``2@<base64>``: the first part of a data-ref."""
    return "2@" + _b64(48)


def new_key() -> str:
    """A random 32-byte key in base64 (noise, identity, adv secret)."""
    return _b64(32)


def new_data_ref() -> str:
    return ",".join([new_ref(), new_key(), new_key(), new_key()])


def new_msg_id() -> str:
    """20 upper-case hex characters, like the ids WhatsApp Web gives its own messages."""
    return "3EB0" + secrets.token_hex(8).upper()


def new_device_id() -> str:
    return secrets.token_urlsafe(16)


def is_phone(value: str) -> bool:
    return bool(_PHONE.match(value))


def normalize_phone(value: object, field: str = "phone") -> str:
    """7-15 digits, a leading ``+`` allowed and stripped; anything else: a 400 naming ``field``."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("+")
        if is_phone(digits):
            return digits
    raise bad_request(
        f"{field} must be 7-15 digits (a leading + is allowed)", field, "invalid_phone"
    )


def user_jid(phone: str) -> str:
    return f"{phone}@c.us"


def parse_contact(value: object, field: str = "from") -> str:
    """A contact given as digits, ``+digits`` or ``digits@c.us`` -> its JID."""
    if isinstance(value, str):
        m = _USER_JID.match(value.strip())
        if m:
            return value.strip()
    return user_jid(normalize_phone(value, field))


def parse_group_id(value: object, field: str = "group.id") -> str:
    """``<digits>-<digits>`` with or without ``@g.us`` -> the group JID."""
    if isinstance(value, str):
        m = _GROUP.match(value.strip())
        if m:
            return f"{m.group(1)}@g.us"
    raise bad_request(f"{field} must look like 120363012345-1600000000@g.us", field)


def jid_user(jid: str) -> str:
    """The part before the ``@``: phone digits for a person, ``<digits>-<digits>`` for a group."""
    return jid.split("@", 1)[0]
