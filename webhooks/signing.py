"""What a delivery carries besides its body: the headers, and the HMAC-SHA256 signature of
``"<timestamp>.<body>"`` with the webhook's secret (README "Webhooks" shows how to check it)."""

from __future__ import annotations

import hashlib
import hmac

USER_AGENT = "wagateway-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 over the timestamp, a dot and the exact body bytes."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(
    *,
    secret: str,
    timestamp: int,
    body: bytes,
    event_type: str,
    event_id: int,
    delivery_id: int,
    attempt: int,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Event": event_type,
        "X-Webhook-Event-Id": str(event_id),  # stable: de-duplicate on it
        "X-Webhook-Delivery": str(delivery_id),  # one delivery, the same over its retries
        "X-Webhook-Attempt": str(attempt),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature(secret, timestamp, body),
    }
