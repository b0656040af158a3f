"""WhatsApp's servers' side of the passkey check: an account's registered passkey, the challenges
they issue, and the verification of an assertion (WebAuthn §7.2, the parts a relying party does).

An assertion is accepted when it names the registered credential, answers the challenge issued
for this attempt, was made on ``https://web.whatsapp.com`` for rpId ``whatsapp.com`` with the
user present and verified, and its ECDSA P-256 signature over ``authenticatorData ||
sha256(clientDataJSON)`` checks with the registered public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from simulator.errors import bad_request

ORIGIN = "https://web.whatsapp.com"
RP_ID = "whatsapp.com"
FLAG_UP, FLAG_UV = 0x01, 0x04


@dataclass(eq=False)
class Passkey:
    """The passkey an account registered: its credential id and P-256 public key."""

    credential_id: bytes
    public_key: ec.EllipticCurvePublicKey
    sign_count: int = 0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_challenge() -> str:
    return b64url(secrets.token_bytes(32))


def new_code() -> str:
    """The number shown on the computer that the phone must confirm (two digits)."""
    return str(10 + secrets.randbelow(90))


def parse_passkey(credential_id: Any, public_key: Any) -> Passkey:
    """From the control API: base64url credential id and base64url DER SubjectPublicKeyInfo."""
    if not isinstance(credential_id, str) or not credential_id:
        raise bad_request("credentialId must be a base64url string", "credentialId")
    if not isinstance(public_key, str) or not public_key:
        raise bad_request("publicKey must be base64url DER (SubjectPublicKeyInfo)", "publicKey")
    try:
        raw_id = unb64url(credential_id)
    except (binascii.Error, ValueError):
        raise bad_request("credentialId is not base64url", "credentialId") from None
    try:
        key = load_der_public_key(unb64url(public_key))
    except (binascii.Error, ValueError):
        raise bad_request("publicKey is not a DER public key", "publicKey") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise bad_request("publicKey must be a P-256 (ES256) key", "publicKey")
    return Passkey(raw_id, key)


def verify(passkey: Passkey | None, challenge: str, credential: Any) -> str | None:
    """None when the assertion is good (the sign count is taken), else why it is refused."""
    if passkey is None:
        return "no passkey registered for this account"
    try:
        raw_id, client_json, auth_data, signature = _parts(credential)
        client = json.loads(client_json)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        return f"malformed assertion: {str(exc)[:80]}"
    if raw_id != passkey.credential_id:
        return "unknown credential"
    if not isinstance(client, dict) or client.get("type") != "webauthn.get":
        return "not an assertion"
    if client.get("challenge") != challenge:
        return "wrong challenge"
    if client.get("origin") != ORIGIN:
        return f"wrong origin {str(client.get('origin'))[:80]}"
    if len(auth_data) < 37 or auth_data[:32] != hashlib.sha256(RP_ID.encode()).digest():
        return "wrong rpId"
    if not auth_data[32] & FLAG_UP or not auth_data[32] & FLAG_UV:
        return "user not present and verified"
    signed = auth_data + hashlib.sha256(client_json).digest()
    try:
        passkey.public_key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "bad signature"
    count = int.from_bytes(auth_data[33:37], "big")
    if count and count <= passkey.sign_count:
        return "sign count did not grow (a cloned authenticator, or a replay)"
    passkey.sign_count = count
    return None


def _parts(credential: Any) -> tuple[bytes, bytes, bytes, bytes]:
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise ValueError("not a credential object")
    response: dict[str, Any] = credential["response"]
    return (
        unb64url(str(credential["rawId"])),
        unb64url(str(response["clientDataJSON"])),
        unb64url(str(response["authenticatorData"])),
        unb64url(str(response["signature"])),
    )
