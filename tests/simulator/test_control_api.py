"""The control API and the live protocol, without a browser: typed errors and state rules."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from pyzbar.pyzbar import decode

from simulator.app import create_app
from simulator.config import SimConfig
from tests.simulator.fakepage import FakePage

PHONE = "15550001111"
Client = TestClient[Any, Any]


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    config = SimConfig(load_ms=0, sync_ms=0, qr_first_ms=60_000, qr_rotate_ms=60_000)
    async with TestClient(TestServer(create_app(config))) as test_client:
        yield test_client


async def linked_page(client: Client, phone: str = PHONE) -> tuple[FakePage, dict[str, Any]]:
    page = await FakePage.connect(client)
    ref = (await page.until("qr"))["ref"]
    first_field = ref.removeprefix("https://wa.me/settings/linked_devices#").split(",")[0]
    resp = await client.post("/_sim/link", json={"ref": first_field, "phone": f"+{phone}"})
    assert resp.status == 200
    linked = await page.until("linked")
    ready = await page.until("ready")
    assert ready["me"] == {"phone": phone, "name": f"+{phone}", "wid": linked["wid"]}
    return page, linked


class Bad(NamedTuple):
    method: str
    path: str
    body: Any  # a str is sent as is (to test broken JSON), anything else as JSON
    status: int
    code: str
    field: str | None


ACC = f"/_sim/accounts/{PHONE}"
BOB = "4915112345678"
GROUP = "120363000001-1600000000"
BAD_INPUT = [
    Bad("POST", "/_sim/link", {"ref": "2@nope", "phone": PHONE}, 404, "unknown_ref", "ref"),
    Bad("POST", "/_sim/link", {"ref": "2@nope", "phone": "12-34"}, 400, "invalid_phone", "phone"),
    Bad("POST", "/_sim/link", {"ref": "2@nope"}, 400, "invalid_phone", "phone"),
    Bad("POST", "/_sim/link", {"phone": PHONE}, 400, "invalid_field", "ref"),
    Bad("POST", "/_sim/link", "{not json", 400, "invalid_json", None),
    Bad("POST", "/_sim/link", [1, 2], 400, "invalid_json", None),
    Bad("POST", "/_sim/link", {"ref": "x", "phone": PHONE, "x": 1}, 400, "invalid_field", "x"),
    Bad("POST", "/_sim/config", {"qrFirstMs": -1}, 400, "invalid_field", "qrFirstMs"),
    Bad("POST", "/_sim/config", {"qrCount": "6"}, 400, "invalid_field", "qrCount"),
    Bad("POST", "/_sim/config", {"sendFails": 1}, 400, "invalid_field", "sendFails"),
    Bad("POST", "/_sim/config", {"invalidNumbers": ["a"]}, 400, "invalid_phone", "invalidNumbers"),
    Bad("POST", "/_sim/config", {"colour": "red"}, 400, "invalid_field", "colour"),
    Bad("GET", "/_sim/accounts/19998887777/chats", None, 404, "unknown_account", "phone"),
    Bad("GET", "/_sim/accounts/12/sent", None, 400, "invalid_phone", "phone"),
    Bad("POST", f"{ACC}/inbound", {"from": BOB}, 400, "invalid_field", "text"),
    Bad("POST", f"{ACC}/inbound", {"from": "49", "text": "x"}, 400, "invalid_phone", "from"),
    Bad(
        "POST", f"{ACC}/inbound", {"from": BOB, "text": "x", "group": {"id": "nope", "name": "G"}},
        400, "invalid_field", "group.id",
    ),
    Bad(
        "POST", f"{ACC}/inbound", {"from": BOB, "text": "x", "group": {"id": GROUP}},
        400, "invalid_field", "group.name",
    ),
    Bad(
        "POST", f"{ACC}/ack", {"messageId": "true_x_1", "ack": "read"},
        404, "unknown_message", "messageId",
    ),
    Bad("POST", f"{ACC}/ack", {"messageId": "x", "ack": "seen"}, 400, "invalid_field", "ack"),
    Bad("POST", f"{ACC}/network", {"online": "no"}, 400, "invalid_field", "online"),
    Bad("POST", f"{ACC}/seed-chats", {"count": 0}, 400, "invalid_field", "count"),
    Bad("POST", f"{ACC}/unlink", {"deviceId": "ghost"}, 404, "unknown_device", None),
    Bad("GET", f"{ACC}/chats/1@c.us/messages", None, 404, "unknown_chat", "chatId"),
    Bad("GET", "/_sim/no-such-route", None, 404, "not_found", None),
    Bad("DELETE", "/_sim/devices", None, 405, "method_not_allowed", None),
    Bad("GET", "/_sim/qr.png", None, 400, "invalid_field", "data"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUT, ids=lambda c: f"{c.method} {c.path} {c.code}")
async def test_bad_input_gets_a_clear_4xx(client: Client, case: Bad) -> None:
    await linked_page(client)
    kwargs = {"data": case.body} if isinstance(case.body, str) else {"json": case.body}
    resp = await client.request(case.method, case.path, **kwargs)
    data = await resp.json()
    error = data["error"]
    assert (resp.status, error["code"], error["field"]) == (case.status, case.code, case.field)
    assert error["message"]


async def test_link_reconnect_and_unknown_device(client: Client) -> None:
    page, linked = await linked_page(client)
    device_id = linked["noiseInfo"]["deviceId"]
    devices = await (await client.get("/_sim/devices")).json()
    assert devices == [{
        "deviceId": device_id, "status": "linked", "qrRef": None, "phone": PHONE,
        "displayName": f"+{PHONE}", "wid": f"{PHONE}:1@c.us", "connected": True,
        "linkCode": None, "linkPhone": None, "passkeyPhone": None,
    }]  # fmt: skip
    await page.close()
    again = await FakePage.connect(client, device_id)
    assert (await again.until("ready"))["me"]["wid"] == f"{PHONE}:1@c.us"
    stranger = await FakePage.connect(client, "forgotten-device")
    await stranger.until("logged_out")


async def test_network_cut_holds_inbound_and_queues_outbound(client: Client) -> None:
    page, _ = await linked_page(client)
    resp = await client.post(f"/_sim/accounts/{PHONE}/network", json={"online": False})
    assert (await resp.json())["online"] is False
    assert (await page.until("network"))["online"] is False
    inbound = await client.post(
        f"/_sim/accounts/{PHONE}/inbound", json={"from": "4915112345678", "text": "held"}
    )
    held = await inbound.json()
    await page.send(type="send", chatId="4915112345678@c.us", id="3EB0AAAAAAAAAAAAAAAA", text="out")
    chats = await (await client.get(f"/_sim/accounts/{PHONE}/chats")).json()
    assert [c["lastMessage"]["text"] for c in chats] == ["out"]  # the held inbound is not there yet
    assert await (await client.get(f"/_sim/accounts/{PHONE}/sent")).json() == []

    await client.post(f"/_sim/accounts/{PHONE}/network", json={"online": True})
    ready = await page.until("ready")
    assert ready["online"] is True and ready["chats"][0]["preview"] == "held"
    sent = await (await client.get(f"/_sim/accounts/{PHONE}/sent")).json()
    assert [(s["text"], s["ack"]) for s in sent] == [("out", "sent")]
    messages = await (
        await client.get(f"/_sim/accounts/{PHONE}/chats/4915112345678@c.us/messages")
    ).json()
    assert [m["messageId"] for m in messages][-1] == held["messageId"]


async def test_group_messages_and_ack_rules(client: Client) -> None:
    page, _ = await linked_page(client)
    body = {"from": "4915112345678", "name": "Bob", "text": "team hi",
            "group": {"id": "120363000001-1600000000", "name": "Team"}}  # fmt: skip
    result = await (await client.post(f"/_sim/accounts/{PHONE}/inbound", json=body)).json()
    assert result["chatId"] == "120363000001-1600000000@g.us"
    assert result["messageId"].startswith("false_120363000001-1600000000@g.us_")
    pushed = await page.until("msg")
    assert pushed["chat"]["preview"] == "Bob: team hi" and pushed["message"]["author"] == "Bob"
    resp = await client.post(
        f"/_sim/accounts/{PHONE}/ack", json={"messageId": result["messageId"], "ack": "read"}
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (400, "invalid_state")

    await page.send(
        type="send", chatId=result["chatId"], id="3EB0BBBBBBBBBBBBBBBB", text="hello team"
    )
    echo = await page.until("msg")
    assert echo["message"]["ack"] == "sent"
    bare_id = "3EB0BBBBBBBBBBBBBBBB"
    resp = await client.post(
        f"/_sim/accounts/{PHONE}/ack", json={"messageId": bare_id, "ack": "read"}
    )
    assert (await resp.json())["ack"] == "read"
    assert (await page.until("ack"))["ack"] == "read"


async def test_config_round_trip_and_reset(client: Client) -> None:
    resp = await client.post(
        "/_sim/config", json={"qrCount": 2, "invalidNumbers": ["+4915100000000"]}
    )
    assert (await resp.json())["invalidNumbers"] == ["4915100000000"]
    await linked_page(client)
    await client.post("/_sim/reset")
    assert (await (await client.get("/_sim/config")).json())["qrCount"] == 6
    assert await (await client.get("/_sim/devices")).json() == []
    assert await (await client.get("/_sim/accounts")).json() == []


async def test_slow_load_keeps_the_splash_and_no_qr(client: Client) -> None:
    await client.post("/_sim/config", json={"slowLoadMs": 60_000})
    page = await FakePage.connect(client)
    await page.until("pending")
    devices = await (await client.get("/_sim/devices")).json()
    assert [(d["status"], d["qrRef"]) for d in devices] == [("pending", None)]
    await page.close()


async def test_qr_png_is_a_readable_code(client: Client) -> None:
    resp = await client.get("/_sim/qr.png", params={"data": "2@abc,def,ghi,jkl"})
    assert resp.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(await resp.read()))
    assert image.size == (264, 264)
    assert decode(image)[0].data == b"2@abc,def,ghi,jkl"
