"""An admin's passkey for tests: a P-256 key registered with the simulator, held either by a
Chromium virtual authenticator (CDP ``WebAuthn.*``) or signed here in Python (browser-less tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "https://web.whatsapp.com"
RP_ID = "whatsapp.com"
UP_UV = 0x05


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    count: int = 0

    def registration(self) -> dict[str, str]:
        """What the simulator's ``POST /_sim/accounts/{phone}/passkey`` takes."""
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"credentialId": b64url(self.credential_id), "publicKey": b64url(spki)}

    def assertion(
        self,
        challenge: str,
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        flags: int = UP_UV,
        kind: str = "webauthn.get",
    ) -> dict[str, Any]:
        """``PublicKeyCredential.toJSON()`` of an assertion over ``challenge`` (base64url)."""
        self.count += 1
        client = json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()
        auth = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.count.to_bytes(4)
        signature = self.key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
        }

    def cdp_credential(self) -> dict[str, Any]:
        """The credential for CDP ``WebAuthn.addCredential`` (resident, for whatsapp.com)."""
        pkcs8 = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "credentialId": base64.b64encode(self.credential_id).decode(),
            "isResidentCredential": True,
            "rpId": RP_ID,
            "privateKey": base64.b64encode(pkcs8).decode(),
            "userHandle": base64.b64encode(self.user_handle).decode(),
            "signCount": 0,
        }
