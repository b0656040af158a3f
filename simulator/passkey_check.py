"""The passkey check after a good scan: the page asks the browser for the account's passkey with
a challenge from the server, the server verifies the assertion (simulator/passkeys.py), then,
for accounts that want it, a number on the page is confirmed on the phone before the link."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from simulator import passkeys
from simulator.conns import Conn
from simulator.errors import bad_request
from simulator.linking import Linking
from simulator.models import Account, Device

log = logging.getLogger(__name__)


class PasskeyCheck(Linking):
    async def start_passkey(self, device: Device, phone: str, display_name: str) -> None:
        device.passkey_phone, device.passkey_name = phone, display_name
        for conn in self.conns.of(device.device_id):
            conn.stop()
            await self._ask(conn, device, error=False)

    async def _ask(self, conn: Conn, device: Device, *, error: bool) -> None:
        """A fresh challenge on screen (each attempt gets its own: a used one is never valid)."""
        device.passkey_challenge = passkeys.new_challenge()
        await conn.send(
            {
                "type": "passkey",
                "challenge": device.passkey_challenge,
                "rpId": passkeys.RP_ID,
                "timeoutMs": self.config.passkey_timeout_ms,
                "error": error,
            }
        )

    async def passkey_assertion(self, conn: Conn, credential: Any) -> None:
        """The page sends what ``navigator.credentials.get`` gave it."""
        device = self.store.devices.get(conn.device_id or "")
        if device is None or device.passkey_phone is None or device.passkey_code is not None:
            raise bad_request("this tab is not waiting for a passkey")
        challenge, device.passkey_challenge = device.passkey_challenge, None
        account = self.store.accounts.get(device.passkey_phone)
        key = account.passkey_key if account is not None else None
        problem = passkeys.verify(key, challenge or "", credential)
        if problem is not None:
            log.info("passkey refused device=%s: %s", device.device_id, problem)
            await self._ask(conn, device, error=True)
            return
        if account is not None and account.passkey_confirm:
            device.passkey_code = passkeys.new_code()
            conn.run(self._code_stage(conn, device, device.passkey_code))
            return
        self.finish_link(device, device.passkey_phone, device.passkey_name)

    async def _code_stage(self, conn: Conn, device: Device, code: str) -> None:
        await conn.send({"type": "passkey_code", "code": code})
        await asyncio.sleep(self.config.passkey_confirm_ms / 1000)
        self._abandon(device)  # not confirmed in time: the link attempt is over
        await self._qr_cycle(conn, device)

    def _abandon(self, device: Device) -> None:
        device.passkey_phone = device.passkey_challenge = device.passkey_code = None

    def confirm_code(self, account: Account, code: str) -> bool:
        """The phone taps a number: the one on the computer links it; another ends the attempt
        (the computer goes back to its QR code)."""
        device = next(
            (
                d
                for d in self.store.devices.values()
                if d.passkey_phone == account.phone and d.passkey_code is not None
            ),
            None,
        )
        if device is None:
            raise bad_request("no computer of this account shows a number to confirm", "code")
        if code != device.passkey_code:
            self._abandon(device)
            for conn in self.conns.of(device.device_id):
                conn.run(self._qr_cycle(conn, device))
            return False
        self.finish_link(device, account.phone, device.passkey_name)
        return True
