"""The control API and the live protocol, without a browser: typed errors and state rules."""

from __future__ import annotations

import io
import re
from typing import Any, NamedTuple

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from simulator import ids
from tests.simulator.fakepage import PHONE, Client, FakePage, linked_page


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
CFG = "/_sim/config"
INB = f"{ACC}/inbound"
NOBODY = "/_sim/accounts/19998887777"
LINK_CODE = "/_sim/link-code"
BAD = "invalid_field"
LID = "123456789012345@lid"
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
    Bad("POST", CFG, {"pageProfile": "2024"}, 400, BAD, "pageProfile"),
    Bad("POST", CFG, {"locale": "de-DE"}, 400, BAD, "locale"),
    Bad("POST", CFG, {"linkCodeMs": 1.5}, 400, BAD, "linkCodeMs"),
    Bad("POST", CFG, {"outgoingRowDelayMs": -5}, 400, BAD, "outgoingRowDelayMs"),
    Bad("POST", CFG, {"passkeyAfterScan": "yes"}, 400, BAD, "passkeyAfterScan"),
    Bad("POST", INB, {"from": BOB, "text": "x", "idForm": "wide"}, 400, BAD, "idForm"),
    Bad("POST", INB, {"from": BOB, "text": "x", "via": "email"}, 400, BAD, "via"),
    Bad("POST", INB, {"from": "123456789012345@lid", "text": "x"}, 400, BAD, "from"),
    Bad("POST", INB, {"from": "12@lid", "text": "x"}, 400, "invalid_phone", "from"),
    Bad("POST", f"{ACC}/dialog", {}, 400, BAD, "kind"),
    Bad("POST", f"{ACC}/dialog", {"kind": "popup"}, 400, BAD, "kind"),
    Bad("POST", f"{ACC}/dialog", {"kind": "notice", "text": ""}, 400, BAD, "text"),
    Bad("POST", f"{ACC}/dialog", {"kind": "notice", "button": 7}, 400, BAD, "button"),
    Bad("POST", f"{ACC}/dialog", {"kind": "notice", "colour": 1}, 400, BAD, "colour"),
    Bad("POST", f"{ACC}/passkey", {}, 400, BAD, "on"),
    Bad("POST", f"{ACC}/passkey", {"on": "true"}, 400, BAD, "on"),
    Bad("POST", f"{NOBODY}/passkey", {"on": True}, 404, "unknown_account", "phone"),
    Bad("POST", f"{ACC}/passkey", {"on": True, "confirm": 1}, 400, BAD, "confirm"),
    Bad("POST", f"{ACC}/passkey", {"on": True, "credentialId": "AAAA"}, 400, BAD, "publicKey"),
    Bad("POST", f"{ACC}/passkey", {"on": True, "credentialId": "AAAA", "publicKey": "!"}, 400, BAD,
        "publicKey"),
    Bad("POST", f"{ACC}/passkey", {"on": True, "credentialId": "", "publicKey": "AA"}, 400, BAD,
        "credentialId"),
    Bad("POST", f"{ACC}/passkey/confirm", {}, 400, BAD, "code"),
    Bad("POST", f"{ACC}/passkey/confirm", {"code": "42"}, 400, BAD, "code"),
    Bad("POST", "/_sim/accounts", {"phone": "12"}, 400, "invalid_phone", "phone"),
    Bad("POST", "/_sim/accounts", {"phone": PHONE, "displayName": 5}, 400, BAD, "displayName"),
    Bad("GET", f"{NOBODY}/contacts", None, 404, "unknown_account", "phone"),
    Bad("POST", "/_sim/link-code", {"phone": PHONE}, 400, BAD, "code"),
    Bad("POST", "/_sim/link-code", {"code": "ABCD1234"}, 400, "invalid_phone", "phone"),
    Bad("POST", LINK_CODE, {"code": "ABCD1234", "phone": PHONE}, 404, "unknown_code", "code"),
    Bad("POST", "/_sim/link-code", {"code": "A", "phone": PHONE, "ref": "x"}, 400, BAD, "ref"),
    Bad("POST", CFG, {"bridge": True}, 400, BAD, "bridge"),
    Bad("POST", f"{ACC}/outbound", {"to": BOB}, 400, BAD, "text"),
    Bad("POST", f"{ACC}/outbound", {"to": "12", "text": "x"}, 400, "invalid_phone", "to"),
    Bad("POST", f"{ACC}/outbound", {"to": "nope-1", "text": "x"}, 400, BAD, "to"),
    Bad("POST", f"{ACC}/outbound", {"to": GROUP, "text": "x"}, 404, "unknown_chat", "to"),
    Bad("POST", f"{ACC}/outbound", {"to": LID, "text": "x"}, 404, "unknown_chat", "to"),
    Bad("POST", f"{ACC}/outbound", {"to": BOB, "text": "x", "via": "pn"}, 400, BAD, "via"),
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
        "linkCode": None, "linkPhone": None, "passkeyPhone": None, "passkeyCode": None,
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


async def inbound(client: Client, **body: Any) -> dict[str, Any]:
    resp = await client.post(f"/_sim/accounts/{PHONE}/inbound", json=body)
    assert resp.status == 200, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


async def test_message_id_forms_on_the_2026_page(client: Client) -> None:
    page, _ = await linked_page(client)
    bare = [await inbound(client, **{"from": BOB, "text": f"bare {n}"}) for n in range(3)]
    shapes = [m["id"] for m in bare]  # an account's contacts' ids take the three shapes in turn
    assert re.fullmatch(r"3A[0-9A-F]{18}", shapes[0])
    assert re.fullmatch(r"[0-9A-F]{32}", shapes[1]) and not shapes[1].startswith(("3A", "AC"))
    assert re.fullmatch(r"AC[0-9A-F]{30}", shapes[2])
    assert all(m["dataId"] == m["id"] for m in bare)
    assert all(m["messageId"] == f"false_{BOB}@c.us_{m['id']}" for m in bare)
    pushed = [await page.until("msg") for _ in range(3)]
    assert [f["message"]["id"] for f in pushed] == shapes  # the page shows bare ids

    legacy = await inbound(client, **{"from": BOB, "text": "old form", "idForm": "legacy"})
    assert legacy["dataId"] == legacy["messageId"] == f"false_{BOB}@c.us_{legacy['id']}"
    assert (await page.until("msg"))["message"]["id"] == legacy["messageId"]
    opaque = await inbound(client, **{"from": BOB, "text": "odd", "idForm": "opaque"})
    assert (
        re.fullmatch(r"wamid\.[A-Za-z0-9-]{24}", opaque["id"]) and opaque["dataId"] == opaque["id"]
    )

    group = {"id": GROUP, "name": "Team"}
    in_group = await inbound(
        client, **{"from": BOB, "text": "hi team", "group": group, "idForm": "legacy"}
    )
    gid = f"{GROUP}@g.us"
    assert in_group["messageId"] == f"false_{gid}_{in_group['id']}"
    assert in_group["dataId"] == f"{in_group['messageId']}_{BOB}@c.us"  # the participant follows
    lid = ids.lid_of(BOB)
    via_lid = await inbound(
        client,
        **{"from": BOB, "text": "hi", "group": {"id": GROUP}, "idForm": "legacy", "via": "lid"},
    )
    assert via_lid["dataId"] == f"false_{gid}_{via_lid['id']}_{lid}"
    messages = await (await client.get(f"/_sim/accounts/{PHONE}/chats/{gid}/messages")).json()
    assert [(m["id"], m["idForm"], m["via"]) for m in messages] == [
        (in_group["id"], "legacy", f"{BOB}@c.us"),
        (via_lid["id"], "legacy", lid),
    ]

    # the legacy profile keeps today's ids whatever the form asked for
    await client.post("/_sim/config", json={"pageProfile": "legacy"})
    old = await inbound(client, **{"from": BOB, "text": "legacy page"})
    assert old["dataId"] == old["messageId"] == f"false_{BOB}@c.us_{old['id']}"
    for message_id in (legacy["messageId"], legacy["id"], in_group["dataId"]):
        resp = await client.post(f"{ACC}/ack", json={"messageId": message_id, "ack": "read"})
        assert (await resp.json())["error"]["code"] == "invalid_state"  # found, but inbound


async def test_one_person_is_one_chat_under_a_phone_id_and_a_lid(client: Client) -> None:
    page, _ = await linked_page(client)
    lid = ids.lid_of(BOB)
    first = await inbound(client, **{"from": BOB, "text": "via lid", "via": "lid", "name": "Bob"})
    assert first["chatId"] == lid and first["messageId"] == f"false_{lid}_{first['id']}"
    contacts = await (await client.get(f"{ACC}/contacts")).json()
    assert contacts == [{"phoneJid": f"{BOB}@c.us", "lid": lid, "name": "Bob", "phoneKnown": False}]
    again = await inbound(client, **{"from": f"{BOB}@s.whatsapp.net", "text": "via number"})
    assert again["chatId"] == lid  # the chat keeps the id it was created under
    assert again["messageId"] == f"false_{BOB}@c.us_{again['id']}"  # the id it came in under
    by_lid = await inbound(client, **{"from": lid, "text": "from the lid"})
    assert by_lid["chatId"] == lid
    chats = await (await client.get(f"{ACC}/chats")).json()
    assert [(c["chatId"], c["name"], c["messageCount"]) for c in chats] == [(lid, "Bob", 3)]
    for any_id in (lid, f"{BOB}@c.us"):
        resp = await client.get(f"{ACC}/chats/{any_id}/messages")
        assert [m["text"] for m in await resp.json()] == ["via lid", "via number", "from the lid"]
    contacts = await (await client.get(f"{ACC}/contacts")).json()
    assert contacts[0]["phoneKnown"] is True  # the number reached the account once

    # the page writes to the lid chat; the contact (the person's phone) gets it
    await page.send(type="open", chatId=lid)
    opened = await page.until("messages")
    assert opened["info"] == {"group": False, "phone": "+49 1511 2345678"}
    await page.send(type="send", chatId=lid, id="3EB0DDDDDDDDDDDDDDDD", text="answer")
    await page.until("msg")
    sent = await (await client.get(f"{ACC}/sent")).json()
    assert [(s["to"], s["chatId"], s["id"]) for s in sent] == [(BOB, lid, "3EB0DDDDDDDDDDDDDDDD")]
    # a deep link to the number opens the same chat
    await page.send(type="check_phone", phone=f"+{BOB}")
    assert (await page.until("phone"))["chatId"] == lid


async def test_pairing_code_links_like_a_scan(client: Client) -> None:
    await client.post("/_sim/config", json={"linkCodeMs": 60_000})
    page = await FakePage.connect(client)
    await page.until("qr")
    await page.send(type="link_code_request", phone="12")
    await page.until("link_code_invalid")
    await page.send(type="link_code_request", phone="+1 (555) 000-1111")
    shown = await page.until("link_code")
    code = shown["code"]
    assert re.fullmatch(r"[A-Z0-9]{8}", code) and shown["phone"] == PHONE
    devices = await (await client.get("/_sim/devices")).json()
    assert [(d["linkCode"], d["linkPhone"], d["qrRef"]) for d in devices] == [(code, PHONE, None)]
    wrong = await client.post("/_sim/link-code", json={"code": code, "phone": "15550002222"})
    assert (wrong.status, (await wrong.json())["error"]["field"]) == (400, "phone")
    typed = f"{code[:4]}-{code[4:].lower()}"  # as a person types it
    resp = await client.post(
        "/_sim/link-code", json={"code": typed, "phone": PHONE, "displayName": "Shop"}
    )
    device = await resp.json()
    assert (device["status"], device["linkCode"], device["displayName"]) == ("linked", None, "Shop")
    await page.until("linked")
    await page.until("ready")


async def test_a_pairing_code_expires_back_to_the_qr(client: Client) -> None:
    await client.post("/_sim/config", json={"linkCodeMs": 100})
    page = await FakePage.connect(client)
    await page.until("qr")
    await page.send(type="link_code_request", phone=PHONE)
    code = (await page.until("link_code"))["code"]
    ref = (await page.until("qr"))["ref"]
    resp = await client.post("/_sim/link-code", json={"code": code, "phone": PHONE})
    assert (resp.status, (await resp.json())["error"]["code"]) == (404, "unknown_code")
    assert (await client.post("/_sim/link", json={"ref": ref, "phone": PHONE})).status == 200


async def test_passkey_check_replaces_the_sync_and_nothing_completes_it(client: Client) -> None:
    page, _ = await linked_page(client)
    resp = await client.post(f"{ACC}/passkey", json={"on": True})
    assert (await resp.json())["passkey"] is True
    second = await FakePage.connect(client, tab="tab-2")
    ref = (await second.until("qr"))["ref"]
    device = await (await client.post("/_sim/link", json={"ref": ref, "phone": PHONE})).json()
    assert (device["status"], device["passkeyPhone"], device["qrRef"]) == ("pending", PHONE, None)
    await second.until("passkey")
    accounts = await (await client.get("/_sim/accounts")).json()
    assert len(accounts[0]["devices"]) == 1  # only the first device is linked
    await second.close()
    await client.post(f"{ACC}/passkey", json={"on": False})
    await client.post("/_sim/config", json={"passkeyAfterScan": True})
    third = await FakePage.connect(client, tab="tab-3")
    ref = (await third.until("qr"))["ref"]
    await client.post("/_sim/link", json={"ref": ref, "phone": "15550002222"})
    await third.until("passkey")
    assert [a["phone"] for a in await (await client.get("/_sim/accounts")).json()] == [PHONE]
    del page


async def test_dialogs_wait_on_the_device_until_dismissed(client: Client) -> None:
    page, _ = await linked_page(client)
    greeting = await page.until("dialog")  # the 2026 page greets a new device once
    assert (greeting["kind"], greeting["title"], greeting["button"]) == (
        "fresh_look",
        "A fresh look for WhatsApp Web",
        "Continue",
    )
    resp = await client.post(f"{ACC}/dialog", json={"kind": "unknown"})
    unknown = await resp.json()
    assert (unknown["text"], unknown["button"], unknown["tabs"]) == (
        "Review our updated terms to keep using WhatsApp Web.",
        "Review",
        1,
    )
    assert (await page.until("dialog"))["id"] == unknown["id"]
    custom = await (
        await client.post(
            f"{ACC}/dialog", json={"kind": "notice", "text": "Hello", "button": "Fine"}
        )
    ).json()
    assert (custom["text"], custom["button"]) == ("Hello", "Fine")
    await page.send(type="dialog_done", id=greeting["id"])
    await page.send(type="dialog_done", id=custom["id"])
    await client.post(f"{ACC}/network", json={"online": False})
    await client.post(f"{ACC}/network", json={"online": True})
    await page.until("ready")
    again = await page.until("dialog")  # still there after a resync: never dismissed
    assert again["id"] == unknown["id"]
