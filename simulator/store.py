"""Operations on the in-memory state (pure and synchronous: the engine does the pushing)."""

from __future__ import annotations

import re
import time

from simulator import ids
from simulator.errors import bad_request, not_found
from simulator.models import (
    ACK_ORDER,
    Account,
    Ack,
    Chat,
    Device,
    IdForm,
    Media,
    Message,
    Person,
    Profile,
)
from simulator.people import People

MAX_TEXT = 65_536
# The id part of a legacy row id: true_/false_<jid>_<ID>[_<participant>]
_LEGACY_ID = re.compile(r"^(?:true|false)_[^_]+@[a-z.]+_([^_]+)(?:_.+)?$")


class Store(People):
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.accounts: dict[str, Account] = {}
        self.lid_owner: dict[str, str] = {}  # lid -> phone JID of every person seen so far
        self.media: dict[str, Media] = {}  # media id -> the file (the media servers)
        self.uploads: dict[str, bytes] = {}  # uploaded by a page, not sent yet
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- devices -----------------------------------------------------------------------------

    def new_device(self) -> Device:
        device = Device(ids.new_device_id(), ids.new_key(), ids.new_key())
        self.devices[device.device_id] = device
        return device

    def device(self, device_id: str) -> Device:
        device = self.devices.get(device_id)
        if device is None:
            raise not_found(f"unknown device {device_id!r}", "unknown_device", "deviceId")
        return device

    def drop_device(self, device_id: str) -> None:
        self.devices.pop(device_id, None)

    @staticmethod
    def rotate_ref(device: Device, profile: Profile) -> str:
        device.previous_ref = device.data_ref
        device.data_ref = ids.new_data_ref(profile)
        return device.data_ref

    @staticmethod
    def expire_refs(device: Device) -> None:
        device.data_ref = device.previous_ref = None

    def find_pending(self, ref: str) -> Device:
        """The pending device showing ``ref`` now or just before (any form ``ref_forms`` gives)."""
        for device in self.devices.values():
            for shown in (device.data_ref, device.previous_ref):
                if device.status == "pending" and shown and ref in ids.ref_forms(shown):
                    return device
        raise not_found("no device shows this QR ref (unknown or expired)", "unknown_ref", "ref")

    def find_link_code(self, code: str, phone: str) -> Device:
        """The pending device showing pairing code ``code`` for ``phone``."""
        wanted = code.replace("-", "").replace(" ", "").upper()
        for device in self.devices.values():
            if device.status == "pending" and device.link_code == wanted:
                if device.link_phone != phone:
                    raise bad_request(
                        "phone is not the number typed on the page for this code", "phone"
                    )
                return device
        raise not_found("no device shows this pairing code", "unknown_code", "code")

    def link(self, device: Device, phone: str, display_name: str) -> Account:
        account = self.accounts.get(phone)
        if account is None:
            account = self.accounts[phone] = Account(phone, display_name)
        account.display_name = display_name
        device.status, device.phone = "linked", phone
        device.device_no = account.next_device_no
        account.next_device_no += 1
        device.link_code = device.link_phone = device.passkey_phone = None
        device.passkey_challenge = device.passkey_code = None
        self.expire_refs(device)
        return account

    def devices_of(self, account: Account) -> list[Device]:
        return [d for d in self.devices.values() if d.phone == account.phone]

    def unlink(self, account: Account, device_id: str | None = None) -> list[Device]:
        gone = [d for d in self.devices_of(account) if device_id in (None, d.device_id)]
        if device_id is not None and not gone:
            raise not_found(
                f"device {device_id!r} is not linked to {account.phone}", "unknown_device"
            )
        for device in gone:
            self.drop_device(device.device_id)
        return gone

    def account(self, phone: str) -> Account:
        digits = ids.normalize_phone(phone)
        account = self.accounts.get(digits)
        if account is None:
            raise not_found(f"no linked account with phone {digits}", "unknown_account", "phone")
        return account

    # -- chats and messages ------------------------------------------------------------------

    def chat(self, account: Account, chat_id: str, name_jid: str | None = None) -> Chat:
        """The chat, created (empty) if needed, named after ``name_jid`` (default ``chat_id``)."""
        chat = account.chats.get(chat_id)
        if chat is None:
            is_group = chat_id.endswith("@g.us")
            name = self.name_of(account, name_jid or chat_id)
            chat = Chat(chat_id, name, is_group, activity=self.next_seq())
            account.chats[chat_id] = chat
        return chat

    def add_inbound(
        self,
        account: Account,
        person: Person,
        via: str,
        text: str,
        *,
        sender_name: str | None = None,
        group: tuple[str, str | None] | None = None,
        id_form: IdForm = "bare",
        media: Media | None = None,
    ) -> Message:
        """A contact (or a group member) writes under ``via`` (its phone JID or its lid); a
        media message's ``text`` is its caption."""
        sender = person.phone_jid
        if sender_name:
            account.contacts[sender] = sender_name
        chat_id = via
        if group is not None:
            chat_id, group_name = group
            if group_name:
                account.contacts[chat_id] = group_name
                if chat_id in account.chats:
                    account.chats[chat_id].name = group_name
        elif (existing := self.chat_of_person(account, person)) is not None:
            chat_id = existing.chat_id
            if sender_name:
                existing.name = sender_name
        account.received += 1
        msg = Message(
            ids.new_opaque_id()
            if id_form == "opaque"
            else ids.new_inbound_id(account.received - 1),
            chat_id,
            False,
            sender,
            self.name_of(account, sender),
            text,
            int(time.time()),
            self.next_seq(),
            "delivered",
            remote=chat_id if group else via,
            participant=via if group else None,
            id_form=id_form,
            media=self._keep(media),
        )
        if account.online:
            self._deliver(account, msg)
        else:
            account.held.append(msg)
        return msg

    def _deliver(self, account: Account, msg: Message) -> Chat:
        name_jid = self.lid_owner.get(msg.chat_id, msg.chat_id)  # a lid chat: after its person
        if not msg.from_me and msg.participant is None:  # one person, one chat (also when held)
            person = account.people[msg.sender]
            existing = self.chat_of_person(account, person)
            msg.chat_id = existing.chat_id if existing else msg.chat_id
            name_jid = msg.sender
        chat = self.chat(account, msg.chat_id, name_jid)
        msg.seq = self.next_seq()
        chat.messages.append(msg)
        chat.activity = msg.seq
        if not msg.from_me:
            chat.unread += 1
            if chat.is_group:
                chat.members.add(msg.sender)
        account.by_data_id[msg.serialized] = msg
        account.by_id[msg.msg_id] = msg
        return chat

    def add_outbound(
        self,
        account: Account,
        chat_id: str,
        msg_id: str,
        text: str,
        *,
        fail: bool,
        from_phone: bool = False,
        media: Media | None = None,
    ) -> Message:
        """An own message, sent by this computer or (``from_phone``) by the phone itself."""
        existing = account.by_id.get(msg_id)
        if existing is not None and existing.from_me:  # re-sent after a reconnect: keep the first
            return existing
        self.note_recipient(account, chat_id)
        ack: Ack = "failed" if fail else ("sent" if account.online or from_phone else "pending")
        msg = Message(
            msg_id,
            chat_id,
            True,
            account.jid,
            account.display_name,
            text,
            int(time.time()),
            0,
            ack,
            from_phone=from_phone,
            media=self._keep(media),
        )
        if from_phone and not account.online:  # the computers see it when their network is back
            account.held.append(msg)
        else:
            self._deliver(account, msg)
        return msg

    def _keep(self, media: Media | None) -> Media | None:
        if media is not None:
            self.media[media.media_id] = media
        return media

    def take_upload(self, media_id: object) -> bytes:
        """The file a page uploaded for a send (once)."""
        data = self.uploads.pop(media_id, None) if isinstance(media_id, str) else None
        if data is None:
            raise bad_request(f"no uploaded file {media_id!r}", "mediaId")
        return data

    def message(self, account: Account, message_id: str) -> Message:
        """By serialized id (``true_<chat>_<ID>``), by a row's legacy data-id, or by bare id."""
        msg = account.by_data_id.get(message_id) or account.by_id.get(message_id)
        legacy = _LEGACY_ID.match(message_id)
        if msg is None and legacy:
            msg = account.by_id.get(legacy.group(1))
        if msg is None:
            raise not_found(f"unknown message {message_id!r}", "unknown_message", "messageId")
        return msg

    @staticmethod
    def set_ack(msg: Message, ack: Ack) -> bool:
        """Move an outgoing message's ack forward; False when it was already there or past it."""
        if not msg.from_me:
            raise bad_request(
                "only messages the device sent carry acks", "messageId", "invalid_state"
            )
        if msg.ack in ("pending", "failed"):
            raise bad_request(
                f"message is {msg.ack}: it never left the computer", "messageId", "invalid_state"
            )
        if ACK_ORDER[ack] <= ACK_ORDER[msg.ack]:
            return False
        msg.ack = ack
        return True

    @staticmethod
    def mark_read(chat: Chat) -> list[Message]:
        changed = [m for m in chat.messages if not m.from_me and m.ack != "read"]
        for msg in changed:
            msg.ack = "read"
        chat.unread = 0
        return changed

    def release(self, account: Account) -> tuple[list[Message], list[Message]]:
        """Network restored: deliver held inbound, mark queued outbound as sent (both returned)."""
        now_sent = []
        for chat in account.chats.values():
            for msg in chat.messages:
                if msg.from_me and msg.ack == "pending":
                    msg.ack = "sent"
                    now_sent.append(msg)
        held, account.held = account.held, []
        for msg in held:
            self._deliver(account, msg)
        return held, now_sent

    def sent(self, account: Account) -> list[Message]:
        """What left the computer (not pending, not failed), oldest first."""
        out = [
            m
            for m in account.by_data_id.values()
            if m.from_me and not m.from_phone and ACK_ORDER[m.ack] > 0
        ]
        return sorted(out, key=lambda m: m.seq)

    def seed_chats(self, account: Account, count: int) -> list[Chat]:
        """``count`` more one-message chats, the last one created being the newest."""
        start, now = len(account.chats), int(time.time())
        made = []
        for n in range(start + 1, start + count + 1):
            jid = ids.user_jid(f"1555{n:07d}")
            self.person(account, jid, phone_known=True)
            account.contacts.setdefault(jid, f"Contact {n:03d}")
            msg = Message(
                ids.new_inbound_id(n),
                jid,
                False,
                jid,
                self.name_of(account, jid),
                f"Hello from contact {n}",
                now - (start + count - n) * 60,
                0,
                "delivered",
            )
            made.append(self._deliver(account, msg))
        return made

    def ordered_chats(self, account: Account) -> list[Chat]:
        return sorted(account.chats.values(), key=lambda c: c.activity, reverse=True)
