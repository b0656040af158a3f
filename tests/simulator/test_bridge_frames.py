"""The stand-in's side of ``/ws/chat``, browser-less: wa-js shapes in pushes, ``wpp_*`` requests."""

from __future__ import annotations

from typing import Any

from simulator import ids
from tests.simulator.fakepage import PHONE, Client, FakePage, linked_page

ACC = f"/_sim/accounts/{PHONE}"
BOB = "4915112345678"
BOB_JID = f"{BOB}@c.us"
GROUP = "120363000001-1600000000@g.us"


async def reply(page: FakePage, req: int) -> dict[str, Any]:
    while True:
        frame = await page.until("wpp_reply")
        if frame["req"] == req:
            return frame


async def test_a_page_that_runs_no_stand_in_gets_no_wa_shapes(client: Client) -> None:
    page, linked = await linked_page(client)
    assert page.frames[0] == {"type": "page", "profile": "2026", "locale": "auto", "bridge": True,
                              "outgoingRowDelayMs": 0}  # fmt: skip
    assert "wa" in page.frames[-1]  # ready
    await page.close()
    await client.post("/_sim/config", json={"bridge": "off"})
    device_id = linked["noiseInfo"]["deviceId"]
    plain = await FakePage.connect(client, device_id)  # the same tab, loaded again
    assert (await plain.until("page"))["bridge"] is False
    assert "wa" not in await plain.until("ready")
    await plain.close()
    again = FakePage(await client.ws_connect("/ws/chat"))  # a page that runs it reconnects
    await again.send(type="hello", deviceId=device_id, tabId="tab-1", resume=True, bridge=True)
    assert (await again.until("page"))["bridge"] is True
    assert "chats" in (await again.until("ready"))["wa"]


async def test_pushes_carry_wa_shapes_and_receipts(client: Client) -> None:
    page, _ = await linked_page(client)
    body = {"from": BOB, "text": "hi", "name": "Bob", "via": "lid"}
    first = await (await client.post(f"{ACC}/inbound", json=body)).json()
    pushed = (await page.until("msg"))["wa"]
    lid, own_lid = ids.lid_of(BOB), ids.lid_of(PHONE)
    assert pushed["msg"] == {
        "id": {"fromMe": False, "remote": lid, "id": first["id"], "participant": None,
               "_serialized": f"false_{lid}_{first['id']}"},
        "from": lid, "to": own_lid, "author": None, "t": pushed["msg"]["t"], "ack": 2,
        "type": "chat", "body": "hi", "notifyName": "Bob", "self": "in", "isGroupMsg": False,
    }  # fmt: skip
    assert pushed["chat"] == {"id": lid, "name": "Bob", "t": pushed["msg"]["t"], "unreadCount": 1,
                              "isGroup": False, "activity": pushed["chat"]["activity"],
                              "lastKey": pushed["msg"]["id"]}  # fmt: skip

    await page.send(type="wpp_send", req=1, chatId=lid, id="3EB0AAAAAAAAAAAAAAAA", text="yo",
                    markRead=True)  # fmt: skip
    read = await page.until("chat")  # marked read before sending, as wa-js does
    assert read["wa"]["chat"]["unreadCount"] == 0
    own = (await page.until("msg"))["wa"]["msg"]
    assert (own["from"], own["to"], own["ack"]) == (own_lid, lid, 1)
    answer = await reply(page, 1)
    assert answer["result"]["msg"] == own
    await client.post(f"{ACC}/ack", json={"messageId": "3EB0AAAAAAAAAAAAAAAA", "ack": "read"})
    receipt = await page.until("ack")
    assert receipt["wa"] == {"ack": 3, "chat": lid, "key": own["id"]}


async def test_requests_answer_errors_with_wajs_codes(client: Client) -> None:
    page = await FakePage.connect(client)
    await page.until("qr")
    await page.send(type="wpp_send", req=1, chatId=BOB_JID, id="3EB0AAAAAAAAAAAAAAAA", text="x")
    assert (await reply(page, 1))["error"]["code"] == "not_authenticated"
    await page.send(type="wpp_send", req="one")
    assert (await page.until("error"))["message"] == "req must be an integer"
    await page.send(type="wpp_link_code", req=2, phone="12")
    assert (await reply(page, 2))["error"]["code"] == "invalid_phone"
    await page.send(type="wpp_refresh_qr", req=3)
    assert (await reply(page, 3))["result"] == {}
    assert (await page.until("qr"))["ref"]
    await page.close()

    page, _ = await linked_page(client)
    bad: list[dict[str, Any]] = [
        {"type": "wpp_send", "chatId": "bob", "id": "3EB0AAAAAAAAAAAAAAAA", "text": "x"},
        {"type": "wpp_send", "chatId": BOB_JID, "id": "nope", "text": "x"},
        {"type": "wpp_send", "chatId": BOB_JID, "id": "3EB0AAAAAAAAAAAAAAAA", "text": "  "},
        {"type": "wpp_messages", "chatId": BOB_JID, "count": 5, "direction": "before"},
        {"type": "wpp_read", "chatId": GROUP},
        {"type": "wpp_pn_lid", "id": GROUP},
        {"type": "wpp_send", "chatId": GROUP, "id": "3EB0AAAAAAAAAAAAAAAA", "text": "x"},
        {"type": "wpp_link_code", "phone": PHONE},
        {"type": "wpp_refresh_qr"},
    ]
    codes = []
    for req, frame in enumerate(bad, start=10):
        await page.send(req=req, **frame)
        codes.append((await reply(page, req))["error"]["code"])
    assert codes == ["invalid_field", "invalid_field", "invalid_field", "chat_not_found",
                     "chat_not_found", "invalid_field", "chat_not_found", "invalid_field",
                     "invalid_field"]  # fmt: skip
    await client.post(f"{ACC}/inbound", json={"from": BOB, "text": "hi"})
    history: list[dict[str, Any]] = [
        {"count": 0, "direction": "before"},
        {"count": 5, "direction": "up"},
        {"count": 5, "direction": "after", "anchor": 7},
    ]
    for req, options in enumerate(history, start=30):
        await page.send(type="wpp_messages", req=req, chatId=BOB_JID, **options)
        assert (await reply(page, req))["error"]["code"] == "invalid_field"
    await page.send(type="wpp_messages", req=40, chatId=BOB_JID, count=5, direction="after",
                    anchor="3AUNKNOWN")  # fmt: skip
    assert (await reply(page, 40))["result"] == {"messages": []}
