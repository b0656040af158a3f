"""WhatsApp's passkey check in WebAuthn's JSON forms: the request options the worker's page made
(``PublicKeyCredentialRequestOptionsJSON``), the assertion an admin's browser returns
(``PublicKeyCredential.toJSON()``), and the checks that need no public key.

Only WhatsApp holds the account's public key and verifies the signature; what can be checked
before the assertion reaches the page is checked here: it answers *this* request (challenge), for
WhatsApp's origin and rpId, with the user present and verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

WA_ORIGIN = "https://web.whatsapp.com"
WA_RP_ID = "whatsapp.com"
# authenticatorData: rpIdHash (32) | flags (1) | signCount (4) | ...
AUTH_DATA_MIN = 37
FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified (biometrics, PIN)
# the browser-internal extension that tells a proxy the page's origin: never passed on
PROXY_EXTENSION = "remoteDesktopClientOverride"

B64Url = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]*$", max_length=8192)]


def _absent(value: object) -> bool:
    return value is None


def _optional(default: Any = None, **kwargs: Any) -> Any:
    """A member of a WebAuthn dictionary that may be missing: when it is, it is left out, never
    written as null (browsers refuse ``"hints": null``), also inside events and answers."""
    return Field(default, exclude_if=_absent, **kwargs)


class _Json(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class CredentialDescriptor(_Json):
    id: B64Url
    type: Literal["public-key"] = "public-key"
    transports: list[Annotated[str, StringConstraints(max_length=32)]] | None = _optional()


class RequestOptions(_Json):
    """What the page passed to ``navigator.credentials.get({publicKey})``, as JSON."""

    challenge: Annotated[B64Url, StringConstraints(min_length=16, max_length=1024)]
    rp_id: str | None = _optional(alias="rpId", max_length=253)
    timeout: int | None = _optional(ge=0)
    user_verification: Literal["required", "preferred", "discouraged"] | None = _optional(
        alias="userVerification"
    )
    allow_credentials: list[CredentialDescriptor] = Field(
        default_factory=list, alias="allowCredentials", max_length=64
    )
    hints: list[Annotated[str, StringConstraints(max_length=32)]] | None = _optional()
    extensions: dict[str, Any] | None = _optional()

    @classmethod
    def from_page(cls, details: dict[str, Any]) -> RequestOptions:
        """The options a relay saw, without the proxy's own extension (an admin's browser must
        not be asked for it) and without fields WebAuthn does not define."""
        extensions = dict(details.get("extensions") or {})
        extensions.pop(PROXY_EXTENSION, None)
        known = {f.alias or name for name, f in cls.model_fields.items()}
        kept = {k: v for k, v in details.items() if k in known and k != "extensions"}
        return cls.model_validate({**kept, "extensions": extensions or None})

    @property
    def rp(self) -> str:
        return self.rp_id or WA_RP_ID


class AssertionResponse(_Json):
    client_data_json: B64Url = Field(alias="clientDataJSON", min_length=1, max_length=4096)
    authenticator_data: B64Url = Field(alias="authenticatorData", min_length=1, max_length=4096)
    signature: B64Url = Field(min_length=1, max_length=1024)
    user_handle: B64Url | None = _optional(alias="userHandle", max_length=128)


class Assertion(_Json):
    """``PublicKeyCredential.toJSON()`` of an assertion (what ``navigator.credentials.get``
    resolved with, bytes as base64url)."""

    id: B64Url = Field(min_length=1, max_length=1366)
    raw_id: B64Url = Field(alias="rawId", min_length=1, max_length=1366)
    type: Literal["public-key"]
    response: AssertionResponse
    authenticator_attachment: Literal["platform", "cross-platform"] | None = _optional(
        alias="authenticatorAttachment"
    )
    client_extension_results: dict[str, Any] = Field(
        default_factory=dict, alias="clientExtensionResults"
    )


class AssertionRefused(ValueError):
    """The assertion cannot answer the request; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def check_assertion(assertion: Assertion, options: RequestOptions, origin: str) -> None:
    """Raise ``AssertionRefused`` unless the assertion answers these options on ``origin``."""
    try:
        same_id = b64url_decode(assertion.raw_id) == b64url_decode(assertion.id)
        client_data = json.loads(b64url_decode(assertion.response.client_data_json))
        auth_data = b64url_decode(assertion.response.authenticator_data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AssertionRefused("credential.response", f"cannot be decoded ({exc})") from None
    if not same_id:
        raise AssertionRefused("credential.rawId", "is not the same credential as id")
    _check_client_data(client_data, options, origin)
    _check_authenticator_data(auth_data, options)


def _check_client_data(data: Any, options: RequestOptions, origin: str) -> None:
    where = "credential.response.clientDataJSON"
    if not isinstance(data, dict):
        raise AssertionRefused(where, "is not a JSON object")
    if data.get("type") != "webauthn.get":
        raise AssertionRefused(f"{where}.type", "is not webauthn.get (not an assertion)")
    challenge = data.get("challenge")
    try:
        same = isinstance(challenge, str) and b64url_decode(challenge) == b64url_decode(
            options.challenge
        )
    except ValueError:
        same = False
    if not same:
        raise AssertionRefused(f"{where}.challenge", "was signed for another request")
    if data.get("origin") != origin:
        raise AssertionRefused(
            f"{where}.origin", f"is {str(data.get('origin'))[:80]!r}, must be {origin}"
        )
    if data.get("crossOrigin") is True:
        raise AssertionRefused(f"{where}.crossOrigin", "was made in a cross-origin frame")


def _check_authenticator_data(data: bytes, options: RequestOptions) -> None:
    where = "credential.response.authenticatorData"
    if len(data) < AUTH_DATA_MIN:
        raise AssertionRefused(where, f"is {len(data)} bytes, at least {AUTH_DATA_MIN} expected")
    if data[:32] != hashlib.sha256(options.rp.encode()).digest():
        raise AssertionRefused(f"{where}.rpIdHash", f"is not for {options.rp}")
    flags = data[32]
    if not flags & FLAG_UP:
        raise AssertionRefused(f"{where}.flags", "user presence (UP) is not set")
    if options.user_verification == "required" and not flags & FLAG_UV:
        raise AssertionRefused(f"{where}.flags", "user verification (UV) is required, not set")
