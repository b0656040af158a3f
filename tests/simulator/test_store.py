"""State rules that need no server: QR ref lifetime, acks, read marks, held traffic, seeding."""

from __future__ import annotations

import pytest

from simulator.errors import SimError
from simulator.models import Account, Message
from simulator.store import Store

PHONE = "15550001111"
BOB = "4915112345678@c.us"


def write(store: Store, account: Account, text: str, name: str | None = None) -> Message:
    """Bob writes from his phone number."""
    bob = store.person(account, BOB, phone_known=True)
    return store.add_inbound(account, bob, BOB, text, sender_name=name)


def test_a_qr_code_is_accepted_until_it_is_two_rotations_old() -> None:
    store = Store()
    device = store.new_device()
    first = store.rotate_ref(device, "2026")
    second = store.rotate_ref(device, "2026")
    assert store.find_pending(first) is device  # just replaced: a slow scan still works
    payload = second.removeprefix("https://wa.me/settings/linked_devices#")
    assert store.find_pending(payload) is device  # the part after "#" is enough
    assert store.find_pending(payload.split(",")[0]) is device  # and so is the "2@..." part
    third = store.rotate_ref(device, "legacy")
    with pytest.raises(SimError) as err:
        store.find_pending(first)
    assert (err.value.status, err.value.code) == (404, "unknown_ref")
    store.expire_refs(device)
    with pytest.raises(SimError):
        store.find_pending(third)


def test_link_numbers_devices_and_keeps_the_account_across_relinks() -> None:
    store = Store()
    one, two = store.new_device(), store.new_device()
    account = store.link(one, PHONE, "Acme")
    store.link(two, PHONE, "Acme Renamed")
    assert (one.wid, two.wid) == (f"{PHONE}:1@c.us", f"{PHONE}:2@c.us")
    assert account.display_name == "Acme Renamed"
    write(store, account, "hi", "Bob")
    assert [d.device_id for d in store.unlink(account, one.device_id)] == [one.device_id]
    assert store.devices_of(account) == [two]
    assert store.account(f"+{PHONE}").chats  # logging out a device keeps the phone's chats


def test_acks_move_forward_only_and_reading_clears_unread() -> None:
    store = Store()
    account = store.link(store.new_device(), PHONE, "Acme")
    inbound = write(store, account, "hi", "Bob")
    chat = account.chats[inbound.chat_id]
    assert (chat.name, chat.unread) == ("Bob", 1)
    out = store.add_outbound(account, chat.chat_id, "3EB0AAAAAAAAAAAAAAAA", "yo", fail=False)
    assert (
        store.add_outbound(account, chat.chat_id, "3EB0AAAAAAAAAAAAAAAA", "yo", fail=False) is out
    )
    assert store.set_ack(out, "read") and not store.set_ack(out, "delivered")
    assert out.ack == "read"
    assert store.mark_read(chat) == [inbound] and chat.unread == 0 and inbound.ack == "read"


def test_offline_holds_inbound_and_release_delivers_in_order() -> None:
    store = Store()
    account = store.link(store.new_device(), PHONE, "Acme")
    account.online = False
    held = write(store, account, "later")
    queued = store.add_outbound(
        account, "4915112345678@c.us", "3EB0CCCCCCCCCCCCCCCC", "q", fail=False
    )
    assert (queued.ack, store.sent(account)) == ("pending", [])
    assert store.release(account) == ([held], [queued])
    assert (queued.ack, account.chats[held.chat_id].last) == ("sent", held)


def test_seeded_chats_are_newest_last_created() -> None:
    store = Store()
    account = store.link(store.new_device(), PHONE, "Acme")
    store.seed_chats(account, 3)
    store.seed_chats(account, 2)
    names = [c.name for c in store.ordered_chats(account)]
    assert names == ["Contact 005", "Contact 004", "Contact 003", "Contact 002", "Contact 001"]
