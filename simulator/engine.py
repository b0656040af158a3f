"""The simulated WhatsApp servers: page screen sequences, phone actions, the pushes they cause."""

from __future__ import annotations

import asyncio
import copy

from simulator import frames, ids, views, wa
from simulator.config import SimConfig
from simulator.conns import Conn, Conns
from simulator.dialogs import Dialogs
from simulator.frames import Frame, Payload
from simulator.models import Account, Ack, Device, IdForm, Media, Message, Person
from simulator.passkey_check import PasskeyCheck
from simulator.store import Store


class Engine(PasskeyCheck, Dialogs):
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._initial = copy.deepcopy(config)
        self.store = Store()
        self.conns = Conns()

    # -- page life cycle ---------------------------------------------------------------------

    def page_settings(self) -> Frame:
        return {"outgoingRowDelayMs": self.config.outgoing_row_delay_ms}

    async def hello(
        self, conn: Conn, device_id: str | None, resume: bool, bridge: bool | None = None
    ) -> None:
        """A page (re)connects: linked profiles get their chats, new ones a QR code.

        ``bridge``: whether the page already runs the WPP stand-in (None: a fresh page load, which
        installs it when the config says so)."""
        self.conns.add(conn)
        conn.profile = self.config.page_profile
        conn.bridge = bridge if bridge is not None else self.config.bridge == "on"
        await conn.send(
            {
                "type": "page",
                "profile": conn.profile,
                "locale": self.config.locale,
                "bridge": conn.bridge,
                **self.page_settings(),
            }
        )
        device = self.store.devices.get(device_id) if device_id else None
        if device_id and (device is None or device.status != "linked"):
            await conn.send({"type": "logged_out"})
            return
        if device is not None:
            conn.device_id = device.device_id
            conn.run(self._start_linked(conn, device, 0 if resume else self._load_s()))
            return
        device = self.store.new_device()
        conn.device_id, conn.active = device.device_id, True
        await conn.send({"type": "pending", "deviceId": device.device_id})
        conn.run(self._pending(conn, device))

    async def goodbye(self, conn: Conn) -> None:
        self.conns.remove(conn)
        if conn.device_id is None:
            return
        device = self.store.devices.get(conn.device_id)
        if device is not None and device.status == "pending":
            self.store.drop_device(device.device_id)

    async def settings_changed(self) -> None:
        """``/_sim/config`` changed: open pages learn the settings they apply live."""
        for conn in self.conns.all():
            await conn.send({"type": "settings", **self.page_settings()})

    async def _start_linked(self, conn: Conn, device: Device, delay: float) -> None:
        await asyncio.sleep(delay)
        others = [c for c in self.conns.of(device.device_id) if c is not conn and c.active]
        if device.taken_by_other or any(c.tab_id != conn.tab_id for c in others):
            await conn.send({"type": "conflict"})
            return
        conn.active = True
        for stale in others:  # the same tab reloaded before its old socket closed (or a duplicate)
            stale.active = False
            await stale.send({"type": "conflict"})
        await self.resync(conn)

    async def resync(self, conn: Conn) -> None:
        """The full picture: on load, after "Use here", after the network comes back."""
        found = self.linked(conn)
        if found is None:
            await conn.send({"type": "logged_out"})
            return
        device, account = found
        opened = None
        chat = account.chats.get(conn.open_chat or "")
        if chat is not None and account.online:
            self.store.mark_read(chat)
            opened = {
                "chatId": chat.chat_id,
                "messages": views.page_messages(chat, conn.profile),
                "info": views.chat_info(account, chat, chat.chat_id),
            }
        chats = self.store.ordered_chats(account)
        ready = {
            "type": "ready",
            "me": views.me(account, device),
            "online": account.online,
            "chats": [views.page_chat(c) for c in chats],
            "open": opened,
        }
        if conn.bridge:
            ready["wa"] = {"chats": [wa.chat(account, c) for c in chats]}
        await conn.send(ready)
        for frame in self.due_dialogs(conn, device):
            await conn.send(frame)

    def linked(self, conn: Conn) -> tuple[Device, Account] | None:
        device = self.store.devices.get(conn.device_id or "")
        if device is None or device.phone is None:
            return None
        return device, self.store.accounts[device.phone]

    async def push(self, account: Account, payload: Payload, offline_too: bool = False) -> None:
        """To the active tab of each of the account's devices, unless its network is cut."""
        if not (account.online or offline_too):
            return
        for device in self.store.devices_of(account):
            conn = self.conns.active(device.device_id)
            if conn is not None:
                await conn.send(payload(conn) if callable(payload) else payload)

    def open_tabs(self, account: Account) -> list[Conn]:
        found = (self.conns.active(d.device_id) for d in self.store.devices_of(account))
        return [c for c in found if c is not None]

    def is_connected(self, device: Device) -> bool:
        return self.conns.active(device.device_id) is not None

    # -- what the user does in the page ------------------------------------------------------

    async def takeover(self, conn: Conn) -> None:
        """ "Use here": this tab wins, every other tab of the device gets the modal."""
        found = self.linked(conn)
        if found is None:
            await conn.send({"type": "logged_out"})
            return
        device, _ = found
        device.taken_by_other = False
        for other in self.conns.of(device.device_id):
            if other is not conn and other.active:
                other.active = False
                await other.send({"type": "conflict"})
        conn.active = True
        await self.resync(conn)

    async def logout_here(self, conn: Conn) -> None:
        """Menu -> Log out on the computer: the same as unlinking this device from the phone."""
        found = self.linked(conn)
        if found is None:
            await conn.send({"type": "logged_out"})
            return
        device, account = found
        await self.unlink(account, device.device_id)

    async def open_chat(self, conn: Conn, account: Account, chat_id: str) -> None:
        conn.open_chat = chat_id
        chat = account.chats.get(chat_id)
        if chat is not None and account.online:
            had_unread = chat.unread > 0
            if self.store.mark_read(chat) or had_unread:
                await self.push(account, frames.chat(account, chat))
        await conn.send(
            {
                "type": "messages",
                "chatId": chat_id,
                "name": chat.name if chat else self.store.name_of(account, chat_id),
                "messages": views.page_messages(chat, conn.profile) if chat else [],
                "info": views.chat_info(account, chat, chat_id),
            }
        )

    async def send_text(
        self, account: Account, chat_id: str, msg_id: str, text: str, media: Media | None = None
    ) -> Message:
        """An own message leaves this computer (a media message: ``text`` is its caption)."""
        fail = self.config.send_fails or self.store.phone_of(chat_id) in self.config.invalid_numbers
        msg = self.store.add_outbound(account, chat_id, msg_id, text, fail=fail, media=media)
        await self.push(account, frames.message(account, msg))
        return msg

    # -- what the phone (and its contacts) do: the control API -------------------------------

    async def phone_sends(self, account: Account, chat_id: str, text: str) -> Message:
        """The user writes on the phone: every computer shows it as an own message."""
        msg_id = ids.new_inbound_id(0)  # an iPhone's id shape (3A…)
        msg = self.store.add_outbound(account, chat_id, msg_id, text, fail=False, from_phone=True)
        if account.online:
            await self.push(account, frames.message(account, msg))
        return msg

    async def unlink(self, account: Account, device_id: str | None) -> list[Device]:
        gone = self.store.unlink(account, device_id)
        for device in gone:
            for conn in self.conns.of(device.device_id):
                conn.stop()
                conn.active = False
                await conn.send({"type": "logged_out"})
        return gone

    async def inbound(
        self,
        account: Account,
        person: Person,
        via: str,
        text: str,
        *,
        name: str | None,
        group: tuple[str, str | None] | None,
        id_form: IdForm,
        media: Media | None = None,
    ) -> Message:
        msg = self.store.add_inbound(
            account, person, via, text, sender_name=name, group=group, id_form=id_form, media=media
        )
        if account.online:
            await self._announce(account, msg)
        return msg

    async def _announce(self, account: Account, msg: Message) -> None:
        chat = account.chats[msg.chat_id]
        if any(c.open_chat == chat.chat_id for c in self.open_tabs(account)):
            self.store.mark_read(chat)  # the user is looking at this chat
        await self.push(account, frames.message(account, msg))

    async def set_ack(self, account: Account, message_id: str, ack: Ack) -> Message:
        msg = self.store.message(account, message_id)
        if self.store.set_ack(msg, ack):
            await self.push(account, frames.ack(account, msg))
        return msg

    async def conflict(self, account: Account) -> None:
        """Another window (real or pretended) takes over every device of the account."""
        for device in self.store.devices_of(account):
            device.taken_by_other = True
            for conn in self.conns.of(device.device_id):
                if conn.active:
                    conn.active = False
                    await conn.send({"type": "conflict"})

    async def network(self, account: Account, online: bool) -> None:
        if account.online == online:
            return
        account.online = online
        await self.push(account, {"type": "network", "online": online}, offline_too=True)
        if online:
            held, now_sent = self.store.release(account)
            for msg in now_sent:  # queued while offline: they leave now
                await self.push(account, frames.ack(account, msg))
            for msg in held:  # held while offline: they arrive now
                await self._announce(account, msg)
            for conn in self.open_tabs(account):
                await self.resync(conn)

    async def reset(self) -> None:
        await self.conns.close_all()
        self.store = Store()
        self.config.copy_from(self._initial)
