"""The simulated servers' passkey check, browser-less: the challenge per attempt, what makes an
assertion good (registered key, challenge, origin, rpId, UP+UV, signature, a growing count), the
number to confirm on the phone, and linking after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.simulator.fakepage import PHONE, Client, FakePage
from tests.support.passkeys import SoftPasskey

ACC = f"/_sim/accounts/{PHONE}"


async def _scanned(client: Client, key: SoftPasskey | None, confirm: bool = False) -> FakePage:
    """An account with a passkey (``key`` registered, if any); a new page scanned by its phone,
    waiting on the check."""
    await client.post("/_sim/accounts", json={"phone": PHONE, "displayName": "Ann"})
    body: dict[str, Any] = {"on": True, "confirm": confirm}
    if key is not None:
        body.update(key.registration())
    resp = await client.post(f"{ACC}/passkey", json=body)
    account = await resp.json()
    assert (account["passkey"], account["passkeyRegistered"]) == (True, key is not None)
    page = await FakePage.connect(client)
    ref = (await page.until("qr"))["ref"]
    assert (await client.post("/_sim/link", json={"ref": ref, "phone": PHONE})).status == 200
    return page


async def test_a_good_assertion_links_the_device(client: Client) -> None:
    key = SoftPasskey()
    page = await _scanned(client, key)
    check = await page.until("passkey")
    assert (check["rpId"], check["timeoutMs"], check["error"]) == ("whatsapp.com", 600_000, False)
    await page.send(type="passkey_assertion", credential=key.assertion(check["challenge"]))
    linked = await page.until("linked")
    assert linked["wid"] == f"{PHONE}:1@c.us"
    ready = await page.until("ready")
    assert ready["me"]["name"] == f"+{PHONE}"  # the name the scan gave
    devices = await (await client.get("/_sim/devices")).json()
    assert [(d["status"], d["passkeyPhone"]) for d in devices] == [("linked", None)]


async def test_what_the_servers_refuse_and_a_new_challenge_each_time(client: Client) -> None:
    key = SoftPasskey()
    page = await _scanned(client, key)
    challenge = (await page.until("passkey"))["challenge"]
    other = SoftPasskey(credential_id=key.credential_id)  # the right id, another private key
    tries: list[Callable[[str], dict[str, Any]]] = [
        other.assertion,  # bad signature
        SoftPasskey().assertion,  # an unknown credential
        lambda c: key.assertion(c, origin="https://evil.example"),
        lambda c: key.assertion(c, rp_id="evil.example"),
        lambda c: key.assertion(c, flags=0x01),  # present, not verified
        lambda c: key.assertion(c, kind="webauthn.create"),
        lambda c: {"id": "x", "response": "no"},
    ]
    used = {challenge}
    for make in tries:
        await page.send(type="passkey_assertion", credential=make(challenge))
        again = await page.until("passkey")
        assert again["error"] is True
        challenge = again["challenge"]
        assert challenge not in used  # every attempt gets its own challenge
        used.add(challenge)
    stale = key.assertion(next(iter(used - {challenge})))  # a challenge used before: replayed
    await page.send(type="passkey_assertion", credential=stale)
    assert (await page.until("passkey"))["error"] is True
    assert all(d["status"] == "pending" for d in await (await client.get("/_sim/devices")).json())


async def test_an_account_without_a_registered_passkey_never_passes(client: Client) -> None:
    page = await _scanned(client, None)
    check = await page.until("passkey")
    stranger = SoftPasskey().assertion(check["challenge"])
    await page.send(type="passkey_assertion", credential=stranger)
    assert (await page.until("passkey"))["error"] is True


async def test_the_number_is_confirmed_on_the_phone_then_linked(client: Client) -> None:
    key = SoftPasskey()
    page = await _scanned(client, key, confirm=True)
    check = await page.until("passkey")
    await page.send(type="passkey_assertion", credential=key.assertion(check["challenge"]))
    code = (await page.until("passkey_code"))["code"]
    assert code.isdigit() and len(code) == 2
    devices = await (await client.get("/_sim/devices")).json()
    assert [(d["status"], d["passkeyCode"]) for d in devices] == [("pending", code)]
    resp = await client.post(f"{ACC}/passkey/confirm", json={"code": code})
    assert await resp.json() == {"linked": True}
    await page.until("linked")
    await page.until("ready")


async def test_another_number_or_no_answer_ends_the_attempt(client: Client) -> None:
    key = SoftPasskey()
    await client.post("/_sim/config", json={"passkeyConfirmMs": 300})
    page = await _scanned(client, key, confirm=True)
    check = await page.until("passkey")
    await page.send(type="passkey_assertion", credential=key.assertion(check["challenge"]))
    code = (await page.until("passkey_code"))["code"]
    wrong = "10" if code != "10" else "11"
    assert await (await client.post(f"{ACC}/passkey/confirm", json={"code": wrong})).json() == {
        "linked": False
    }
    ref = (await page.until("qr"))["ref"]  # back to the QR: scan again
    assert (await client.post("/_sim/link", json={"ref": ref, "phone": PHONE})).status == 200
    check = await page.until("passkey")
    await page.send(type="passkey_assertion", credential=key.assertion(check["challenge"]))
    await page.until("passkey_code")
    await page.until("qr", timeout=5)  # nobody confirmed within passkeyConfirmMs
    resp = await client.post(f"{ACC}/passkey/confirm", json={"code": code})
    assert resp.status == 400
