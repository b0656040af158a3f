"""The simulated WhatsApp servers: page screen sequences, phone actions, the pushes they cause."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from simulator import views
from simulator.config import SimConfig
from simulator.conns import Conn, Conns
from simulator.models import Account, Ack, Device, Message
from simulator.store import Store

SYNC_STEPS = 10


class Engine:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._initial = copy.deepcopy(config)
        self.store = Store()
        self.conns = Conns()

    # -- page life cycle ---------------------------------------------------------------------

    async def hello(self, conn: Conn, device_id: str | None, resume: bool) -> None:
        """A page (re)connects: linked profiles get their chats, new ones a QR code."""
        self.conns.add(conn)
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

    def _load_s(self) -> float:
        return (self.config.load_ms + self.config.slow_load_ms) / 1000

    async def _pending(self, conn: Conn, device: Device) -> None:
        await asyncio.sleep(self._load_s())
        if self.config.qr_never_appears:
            await conn.send({"type": "landing"})
            return
        await self._qr_cycle(conn, device)

    async def _qr_cycle(self, conn: Conn, device: Device) -> None:
        for n in range(self.config.qr_count):
            await conn.send({"type": "qr", "ref": self.store.rotate_ref(device)})
            ms = self.config.qr_first_ms if n == 0 else self.config.qr_rotate_ms
            await asyncio.sleep(ms / 1000)
        self.store.expire_refs(device)
        await conn.send({"type": "qr_expired"})

    async def qr_reload(self, conn: Conn) -> None:
        device = self.store.devices.get(conn.device_id or "")
        if device is not None and device.status == "pending" and device.data_ref is None:
            conn.run(self._qr_cycle(conn, device))

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

    async def _sync(self, conn: Conn, device: Device) -> None:
        noise = {
            "deviceId": device.device_id,
            "pubKey": device.noise_pub,
            "privKey": device.noise_priv,
        }
        await conn.send({"type": "linked", "wid": device.wid, "noiseInfo": noise})
        for step in range(SYNC_STEPS + 1):
            await conn.send({"type": "sync", "percent": step * 100 // SYNC_STEPS})
            if step < SYNC_STEPS:
                await asyncio.sleep(self.config.sync_ms / SYNC_STEPS / 1000)
        conn.active = True
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
            opened = {"chatId": chat.chat_id, "messages": views.page_messages(chat)}
        await conn.send(
            {
                "type": "ready",
                "me": views.me(account, device),
                "online": account.online,
                "chats": [views.page_chat(c) for c in self.store.ordered_chats(account)],
                "open": opened,
            }
        )

    def linked(self, conn: Conn) -> tuple[Device, Account] | None:
        device = self.store.devices.get(conn.device_id or "")
        if device is None or device.phone is None:
            return None
        return device, self.store.accounts[device.phone]

    async def push(
        self, account: Account, payload: dict[str, Any], offline_too: bool = False
    ) -> None:
        """To the active tab of each of the account's devices, unless its network is cut."""
        if not (account.online or offline_too):
            return
        for device in self.store.devices_of(account):
            conn = self.conns.active(device.device_id)
            if conn is not None:
                await conn.send(payload)

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
                await self.push(account, {"type": "chat", "chat": views.page_chat(chat)})
        await conn.send(
            {
                "type": "messages",
                "chatId": chat_id,
                "name": chat.name if chat else self.store.name_of(account, chat_id),
                "messages": views.page_messages(chat) if chat else [],
            }
        )

    async def send_text(self, account: Account, chat_id: str, msg_id: str, text: str) -> Message:
        fail = (
            self.config.send_fails
            or chat_id.split("@", maxsplit=1)[0] in self.config.invalid_numbers
        )
        msg = self.store.add_outbound(account, chat_id, msg_id, text, fail=fail)
        chat = account.chats[chat_id]
        payload = {"type": "msg", "message": views.page_message(msg), "chat": views.page_chat(chat)}
        await self.push(account, payload)
        return msg

    # -- what the phone (and its contacts) do: the control API -------------------------------

    async def link(self, ref: str, phone: str, display_name: str) -> Device:
        device = self.store.find_pending(ref)
        self.store.link(device, phone, display_name)
        for conn in self.conns.of(device.device_id):
            conn.run(self._sync(conn, device))
        return device

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
        sender: str,
        text: str,
        name: str | None,
        group: tuple[str, str | None] | None,
    ) -> Message:
        msg = self.store.add_inbound(account, sender, text, name, group)
        if account.online:
            await self._announce(account, msg)
        return msg

    async def _announce(self, account: Account, msg: Message) -> None:
        chat = account.chats[msg.chat_id]
        if any(c.open_chat == chat.chat_id for c in self.open_tabs(account)):
            self.store.mark_read(chat)  # the user is looking at this chat
        payload = {"type": "msg", "message": views.page_message(msg), "chat": views.page_chat(chat)}
        await self.push(account, payload)

    async def set_ack(self, account: Account, message_id: str, ack: Ack) -> Message:
        msg = self.store.message(account, message_id)
        if self.store.set_ack(msg, ack):
            payload = {"type": "ack", "chatId": msg.chat_id, "id": msg.data_id, "ack": msg.ack}
            await self.push(account, payload)
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
            self.store.release(account)
            for conn in self.open_tabs(account):
                await self.resync(conn)

    async def reset(self) -> None:
        await self.conns.close_all()
        self.store = Store()
        self.config.copy_from(self._initial)
