"""Identifiers shaped like WhatsApp's: QR refs, keys, message ids, JIDs and lids; phone checks."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string

from simulator.errors import bad_request

_PHONE = re.compile(r"^\d{7,15}$")
_GROUP = re.compile(r"^(\d{5,20}(?:-\d{5,20})?)(@g\.us)?$")
_USER_JID = re.compile(r"^(\d{7,15})@(?:c\.us|s\.whatsapp\.net)$")
_LID_JID = re.compile(r"^\d{14,15}@lid$")
QR_PREFIX = "https://wa.me/settings/linked_devices#"
CHROME_CLIENT = "1"  # the companion's web client type (1 = Chrome), the QR's fifth field
# Pairing codes use Crockford's base32 alphabet (no I, O, U, 0): a subset of A-Z0-9.
LINK_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
_OPAQUE_ALPHABET = string.ascii_letters + string.digits + "-"
# Calling codes of one or two digits (everything else is taken as three digits).
_SHORT_CC = {"1", "7"} | {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
}  # fmt: skip


def _b64(nbytes: int) -> str:
    return base64.b64encode(secrets.token_bytes(nbytes)).decode()


def new_ref() -> str:
    """``2@<base64>``: the first part of a data-ref."""
    return "2@" + _b64(48)


def new_key() -> str:
    """A random 32-byte key in base64 (noise, identity, adv secret)."""
    return _b64(32)


def new_data_ref(profile: str) -> str:
    """The QR content: 4 bare fields (legacy), or the wa.me link with a fifth field (2026)."""
    fields = [new_ref(), new_key(), new_key(), new_key()]
    if profile == "legacy":
        return ",".join(fields)
    return QR_PREFIX + ",".join([*fields, CHROME_CLIENT])


def ref_forms(data_ref: str) -> tuple[str, str, str, str]:
    """What ``/_sim/link`` accepts for a data-ref: all of it, the part after ``#``, its first four
    fields (wa-js's ``fullCode``: ref, noise key, identity key, adv secret), ``2@…``."""
    payload = data_ref.removeprefix(QR_PREFIX)
    fields = payload.split(",")
    return data_ref, payload, ",".join(fields[:4]), fields[0]


def new_msg_id() -> str:
    """20 upper-case hex characters, like the ids WhatsApp Web gives its own messages."""
    return "3EB0" + secrets.token_hex(8).upper()


# The ids of messages from contacts' phones: iPhone, Android, another client (prefix, random bytes).
_INBOUND_SHAPES = [("3A", 9), ("", 16), ("AC", 15)]


def new_inbound_id(n: int) -> str:
    """The ``n``-th id an account receives: the three shapes in turn."""
    prefix, nbytes = _INBOUND_SHAPES[n % len(_INBOUND_SHAPES)]
    while True:
        made = prefix + secrets.token_hex(nbytes).upper()
        if prefix or not made.startswith(("3A", "3EB0", "AC")):  # keep the shapes apart
            return made


def new_opaque_id() -> str:
    """An id of an unusual shape (``wamid.`` + letters of both cases, digits, ``-``; no ``_``)."""
    return "wamid." + "".join(secrets.choice(_OPAQUE_ALPHABET) for _ in range(24))


def new_link_code() -> str:
    return "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(8))


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


def lid_of(phone: str) -> str:
    """A person's lid: 15 digits, stable for the phone number (the same for every account)."""
    number = int.from_bytes(hashlib.sha256(f"lid:{phone}".encode()).digest()[:8], "big")
    return f"{10**14 + number % (9 * 10**14)}@lid"


def is_lid(value: str) -> bool:
    return bool(_LID_JID.match(value))


def parse_contact(value: object, field: str = "from") -> str:
    """A contact given as digits, ``+digits``, ``digits@c.us`` or ``@s.whatsapp.net`` -> JID."""
    if isinstance(value, str):
        m = _USER_JID.match(value.strip())
        if m:
            return user_jid(m.group(1))
    return user_jid(normalize_phone(value, field))


def parse_group_id(value: object, field: str = "group.id") -> str:
    """``<digits>-<digits>`` or ``<digits>`` (newer groups), with or without ``@g.us``."""
    if isinstance(value, str):
        m = _GROUP.match(value.strip())
        if m:
            return f"{m.group(1)}@g.us"
    raise bad_request(f"{field} must look like 120363012345-1600000000@g.us", field)


def jid_user(jid: str) -> str:
    """The part before the ``@``: phone digits for a person, ``<digits>-<digits>`` for a group."""
    return jid.split("@", 1)[0]


def format_phone(phone: str) -> str:
    """As WhatsApp shows numbers: ``+1 555-000-1111``, ``+7 903 555-66-77``, ``+49 1511 234567``."""
    cc_len = 1 if phone[0] in "17" else 2 if phone[:2] in _SHORT_CC else 3
    cc, rest = phone[:cc_len], phone[cc_len:]
    if cc == "1" and len(rest) == 10:
        return f"+1 {rest[:3]}-{rest[3:6]}-{rest[6:]}"
    if cc == "7" and len(rest) == 10:
        return f"+7 {rest[:3]} {rest[3:6]}-{rest[6:8]}-{rest[8:]}"
    head = 4 if len(rest) > 7 else 3
    return f"+{cc} {rest[:head]} {rest[head:]}".rstrip()
