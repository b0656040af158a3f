"""Events and job arguments: round trip on the wire, and refusal of malformed input."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared import events, jobs
from shared.states import SessionState

SID, CID, CHAT, MSG = (uuid.uuid4() for _ in range(4))
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

MESSAGE = events.MessagePayload(
    id=MSG,
    chat_id=CHAT,
    wa_chat_id="15550001111@c.us",
    wa_message_id="false_15550001111@c.us_ABC",
    client_message_id=None,
    direction="in",
    sender="Alice",
    body="hi",
    type="text",
    status="read",
    timestamp=NOW,
    created_at=NOW,
)
CHAT_PAYLOAD = events.ChatPayload(
    id=CHAT,
    wa_chat_id="15550001111@c.us",
    name="Alice",
    is_group=False,
    unread_count=1,
    last_message_at=NOW,
    last_message_preview="hi",
    archived=False,
    assigned_manager_id=None,
)
ALL_EVENTS: list[events.Event] = [
    events.StateEvent(
        session_id=SID,
        company_id=CID,
        data=events.StateData(
            state=SessionState.QR, previous=SessionState.INITIALIZING, reason="x"
        ),
    ),
    events.QrEvent(
        session_id=SID,
        company_id=CID,
        data=events.QrData(
            qr_code="data:image/png;base64,AA==", qr_raw="2@x,y,z,w", expires_at=NOW
        ),
    ),
    events.ReadyEvent(
        session_id=SID,
        company_id=CID,
        data=events.ReadyData(phone_number="15550001111", display_name="Shop"),
    ),
    events.MessageEvent(
        session_id=SID, company_id=CID, data=events.MessageData(chat_id=CHAT, message=MESSAGE)
    ),
    events.MessageSentEvent(
        session_id=SID, company_id=CID, data=events.MessageData(chat_id=CHAT, message=MESSAGE)
    ),
    events.MessageAckEvent(
        session_id=SID,
        company_id=CID,
        data=events.MessageAckData(chat_id=CHAT, message_id=MSG, status="delivered"),
    ),
    events.DisconnectedEvent(
        session_id=SID, company_id=CID, data=events.DisconnectedData(reason="network_lost")
    ),
    events.ChatEvent(session_id=SID, company_id=CID, data=events.ChatData(chat=CHAT_PAYLOAD)),
]


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.type)
def test_event_round_trip(event: events.Event) -> None:
    wire = events.encode(event)
    assert '"sessionId"' in wire and '"companyId"' in wire and '"v":1' in wire
    assert events.decode(wire) == event


def test_every_design_event_type_has_a_model() -> None:
    assert {e.type for e in ALL_EVENTS} == {
        "state",
        "qr",
        "ready",
        "message",
        "message_sent",
        "message_ack",
        "disconnected",
        "chat",
    }


def _raw(**over: object) -> str:
    base: dict[str, object] = {
        "v": 1,
        "type": "ready",
        "sessionId": str(SID),
        "companyId": str(CID),
        "ts": "2026-01-01T00:00:00Z",
        "data": {"phoneNumber": None, "displayName": None},
    }
    base.update(over)
    return json.dumps(base)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        _raw(type="nope", data={}),
        _raw(v=2),
        _raw(type="state", data={"state": "flying", "previous": None, "reason": None}),
        _raw(sessionId="not-a-uuid"),
        _raw(data={"phoneNumber": None, "displayName": None, "extra": 1}),
    ],
)
def test_malformed_events_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        events.decode(raw)


def test_send_text_needs_exactly_one_target() -> None:
    base = {"session_id": SID, "message_id": MSG, "client_msg_id": "c1", "body": "hi"}
    assert jobs.SendText(**base, wa_chat_id="1@c.us").to_payload()["wa_chat_id"] == "1@c.us"
    with pytest.raises(ValidationError, match="exactly one"):
        jobs.SendText(**base)
    with pytest.raises(ValidationError, match="exactly one"):
        jobs.SendText(**base, wa_chat_id="1@c.us", to_phone="15550001111")
    with pytest.raises(ValidationError):
        jobs.SendText(**base, to_phone="+1 555")


def test_job_payload_round_trip() -> None:
    job = jobs.SendText(
        session_id=SID, message_id=MSG, client_msg_id="c1", body="hé 😀\nx", to_phone="15550001111"
    )
    assert jobs.SendText.model_validate(job.to_payload()) == job
