"""A client for the simulator's phone control API (``/_sim/``), for tests and benchmarks."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp


class SimClient:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        # served over HTTPS with a self-signed certificate in the passkey tests
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False))

    async def close(self) -> None:
        await self._http.close()

    async def _req(self, method: str, path: str, body: Any = None) -> Any:
        async with self._http.request(method, f"{self.base}/_sim{path}", json=body) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise AssertionError(f"{method} {path} -> {resp.status}: {data}")
            return data

    async def config(self, **values: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._req("POST", "/config", values)
        return result

    async def reset(self) -> None:
        await self._req("POST", "/reset")

    async def devices(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", "/devices")
        return result

    async def link(self, ref: str, phone: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._req(
            "POST", "/link", {"ref": ref, "phone": phone, "displayName": name}
        )
        return result

    async def unlink(self, phone: str) -> None:
        await self._req("POST", f"/accounts/{phone}/unlink")

    async def link_code(self, code: str, phone: str, name: str) -> dict[str, Any]:
        """Type a pairing code on the phone ``phone`` (the number typed on the page)."""
        result: dict[str, Any] = await self._req(
            "POST", "/link-code", {"code": code, "phone": phone, "displayName": name}
        )
        return result

    async def inbound(
        self,
        phone: str,
        sender: str,
        text: str,
        name: str | None = None,
        id_form: str | None = None,
        via: str | None = None,
        group: dict[str, str] | None = None,
    ) -> str:
        """A contact writes; returns the full serialized id (``messageId``)."""
        result = await self.inbound_message(phone, sender, text, name, id_form, via, group)
        return str(result["messageId"])

    async def inbound_message(
        self,
        phone: str,
        sender: str,
        text: str,
        name: str | None = None,
        id_form: str | None = None,
        via: str | None = None,
        group: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A contact writes: ``{messageId, id (bare), chatId, dataId (the row's data-id)}``."""
        body: dict[str, Any] = {"from": sender, "text": text}
        optional = {"name": name, "idForm": id_form, "via": via, "group": group}
        body.update({key: value for key, value in optional.items() if value})
        result: dict[str, Any] = await self._req("POST", f"/accounts/{phone}/inbound", body)
        return result

    async def outbound(self, phone: str, to: str, text: str) -> dict[str, Any]:
        """The owner writes on the phone ``phone`` to ``to`` (a number, a known lid, a group):
        every linked computer gets it as an own message. Returns it as ``messages`` lists it."""
        body = {"to": to, "text": text}
        result: dict[str, Any] = await self._req("POST", f"/accounts/{phone}/outbound", body)
        return result

    async def contacts(self, phone: str) -> list[dict[str, Any]]:
        """``[{phoneJid, lid, name, phoneKnown}]`` of everyone the account talked to."""
        result: list[dict[str, Any]] = await self._req("GET", f"/accounts/{phone}/contacts")
        return result

    async def dialog(
        self, phone: str, kind: str, text: str | None = None, button: str | None = None
    ) -> dict[str, Any]:
        """Show a popup (``fresh_look``, ``whats_new``, ``notice``, ``unknown``) on the page."""
        body: dict[str, Any] = {"kind": kind}
        optional = {"text": text, "button": button}
        body.update({key: value for key, value in optional.items() if value})
        result: dict[str, Any] = await self._req("POST", f"/accounts/{phone}/dialog", body)
        return result

    async def passkey(
        self,
        phone: str,
        on: bool,
        registration: dict[str, str] | None = None,
        confirm: bool = False,
    ) -> dict[str, Any]:
        """New devices of this account must pass the passkey check after the scan; with a
        ``registration`` (credentialId, publicKey) it can pass; ``confirm``: then a number is
        confirmed on the phone."""
        body: dict[str, Any] = {"on": on, "confirm": confirm, **(registration or {})}
        result: dict[str, Any] = await self._req("POST", f"/accounts/{phone}/passkey", body)
        return result

    async def create_account(self, phone: str, name: str) -> None:
        """A phone with WhatsApp that no computer is linked to yet."""
        await self._req("POST", "/accounts", {"phone": phone, "displayName": name})

    async def passkey_confirm(self, phone: str, code: str) -> bool:
        """The phone taps the number its computer shows; True when that linked it."""
        result = await self._req("POST", f"/accounts/{phone}/passkey/confirm", {"code": code})
        return bool(result["linked"])

    async def messages(self, phone: str, chat_id: str) -> list[dict[str, Any]]:
        path = f"/accounts/{phone}/chats/{chat_id}/messages"
        result: list[dict[str, Any]] = await self._req("GET", path)
        return result

    async def sent(self, phone: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", f"/accounts/{phone}/sent")
        return result

    async def ack(self, phone: str, message_id: str, ack: str) -> None:
        await self._req("POST", f"/accounts/{phone}/ack", {"messageId": message_id, "ack": ack})

    async def conflict(self, phone: str) -> None:
        await self._req("POST", f"/accounts/{phone}/conflict")

    async def network(self, phone: str, online: bool) -> None:
        await self._req("POST", f"/accounts/{phone}/network", {"online": online})

    async def chats(self, phone: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", f"/accounts/{phone}/chats")
        return result

    async def seed_chats(self, phone: str, count: int) -> None:
        await self._req("POST", f"/accounts/{phone}/seed-chats", {"count": count})

    async def inbound_media(
        self,
        phone: str,
        sender: str,
        kind: str,
        caption: str = "",
        *,
        data: bytes | None = None,
        mime: str | None = None,
        name: str | None = None,
        fail_downloads: int = 0,
    ) -> dict[str, Any]:
        """A contact sends a file (the kind's fixture unless ``data``): ``{messageId, id, chatId,
        dataId, media: {kind, mime, size, sha256, ...}}``."""
        body: dict[str, Any] = {"from": sender, "kind": kind, "caption": caption}
        if data is not None:
            body.update(dataBase64=base64.b64encode(data).decode(), mime=mime)
        if name:
            body["name"] = name
        if fail_downloads:
            body["failDownloads"] = fail_downloads
        result: dict[str, Any] = await self._req("POST", f"/accounts/{phone}/inbound-media", body)
        return result

    async def media_failures(self, phone: str, message_id: str, count: int) -> None:
        path = f"/accounts/{phone}/messages/{message_id}/media-failures"
        await self._req("POST", path, {"count": count})

    async def message_media(self, phone: str, message_id: str) -> bytes:
        """The file of a message as the contact has it."""
        path = f"{self.base}/_sim/accounts/{phone}/messages/{message_id}/media"
        async with self._http.get(path) as resp:
            assert resp.status == 200, (path, resp.status)
            return await resp.read()
