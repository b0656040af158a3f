"""Linking a device: QR codes, the pairing code ("log in with phone number"), the passkey check."""

from __future__ import annotations

import asyncio

from simulator import ids
from simulator.config import SimConfig
from simulator.conns import Conn, Conns
from simulator.errors import bad_request
from simulator.models import Device
from simulator.store import Store

SYNC_STEPS = 10


class Linking:
    """The pending side of the engine (a mixin: the engine supplies the state and ``resync``)."""

    config: SimConfig
    store: Store
    conns: Conns

    async def resync(self, conn: Conn) -> None:
        raise NotImplementedError

    async def start_passkey(self, device: Device, phone: str, display_name: str) -> None:
        """The scan is good but the account wants a passkey first (simulator/passkey_check.py)."""
        raise NotImplementedError

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
            await conn.send({"type": "qr", "ref": self.store.rotate_ref(device, conn.profile)})
            ms = self.config.qr_first_ms if n == 0 else self.config.qr_rotate_ms
            await asyncio.sleep(ms / 1000)
        self.store.expire_refs(device)
        await conn.send({"type": "qr_expired"})

    def _pending_device(self, conn: Conn) -> Device | None:
        device = self.store.devices.get(conn.device_id or "")
        if device is None or device.status != "pending" or device.passkey_phone:
            return None
        return device

    async def qr_reload(self, conn: Conn) -> None:
        device = self._pending_device(conn)
        if device is not None and device.data_ref is None and device.link_code is None:
            conn.run(self._qr_cycle(conn, device))

    async def request_link_code(self, conn: Conn, phone: object) -> str | None:
        """The page's "Next" with a number typed: show a pairing code instead of the QR.

        Returns the code; None when the number is invalid (the page says so)."""
        device = self._pending_device(conn)
        if device is None:
            raise bad_request("this tab shows no QR code (linked, or waiting for a passkey)")
        digits = "".join(ch for ch in phone if ch not in " +-()") if isinstance(phone, str) else ""
        if not ids.is_phone(digits):
            await conn.send({"type": "link_code_invalid"})
            return None
        self.store.expire_refs(device)
        device.link_code, device.link_phone = ids.new_link_code(), digits
        conn.run(self._link_code_life(conn, device))
        return device.link_code

    async def refresh_qr(self, conn: Conn) -> None:
        """A new QR code now (wa-js's ``conn.refreshQR``): a new series, also after the last one."""
        device = self._pending_device(conn)
        if device is None:
            raise bad_request("this tab shows no QR code (linked, or waiting for a passkey)")
        device.link_code = device.link_phone = None
        conn.run(self._qr_cycle(conn, device))

    async def _link_code_life(self, conn: Conn, device: Device) -> None:
        await conn.send({"type": "link_code", "code": device.link_code, "phone": device.link_phone})
        await asyncio.sleep(self.config.link_code_ms / 1000)
        device.link_code = device.link_phone = None  # expired: back to the QR codes
        await self._qr_cycle(conn, device)

    async def back_to_qr(self, conn: Conn) -> None:
        """ "Log in with QR code" on the phone-number screens."""
        device = self._pending_device(conn)
        if device is not None:
            device.link_code = device.link_phone = None
            conn.run(self._qr_cycle(conn, device))

    async def link(self, ref: str, phone: str, display_name: str) -> Device:
        """The phone scans a QR code."""
        return await self._confirmed(self.store.find_pending(ref), phone, display_name)

    async def link_code(self, code: str, phone: str, display_name: str) -> Device:
        """The code is typed on the phone whose number was typed on the page."""
        return await self._confirmed(self.store.find_link_code(code, phone), phone, display_name)

    async def _confirmed(self, device: Device, phone: str, display_name: str) -> Device:
        account = self.store.accounts.get(phone)
        if self.config.passkey_after_scan or (account is not None and account.passkey):
            self.store.expire_refs(device)
            device.link_code = device.link_phone = None
            await self.start_passkey(device, phone, display_name)
            return device
        self.finish_link(device, phone, display_name)
        return device

    def finish_link(self, device: Device, phone: str, display_name: str) -> None:
        """Link the device to the account and start its first sync on its tabs."""
        self.store.link(device, phone, display_name)
        for conn in self.conns.of(device.device_id):
            conn.run(self._sync(conn, device))

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
