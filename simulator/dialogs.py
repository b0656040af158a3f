"""Popups on the page: the 2026 "fresh look" greeting and dialogs shown on demand."""

from __future__ import annotations

import secrets
from typing import Any

from simulator import views
from simulator.conns import Conn, Conns
from simulator.models import Account, Device, Dialog
from simulator.store import Store

# kind -> (title, default text, default button)
DIALOG_KINDS: dict[str, tuple[str | None, str, str]] = {
    "fresh_look": (
        "A fresh look for WhatsApp Web",
        "We've updated WhatsApp Web with a new design. Your chats and settings stay the same.",
        "Continue",
    ),
    "whats_new": (
        "What's new in WhatsApp Web",
        "Chat filters, a new look for the chat list and more.",
        "Got it",
    ),
    "notice": (None, "Some features are temporarily unavailable.", "OK"),
    "unknown": (None, "Review our updated terms to keep using WhatsApp Web.", "Review"),
}


def new_dialog(kind: str, text: str | None = None, button: str | None = None) -> Dialog:
    title, default_text, default_button = DIALOG_KINDS[kind]
    return Dialog(secrets.token_hex(4), kind, title, text or default_text, button or default_button)


class Dialogs:
    """Popups waiting on each device until dismissed (a mixin of the engine)."""

    store: Store
    conns: Conns

    def due_dialogs(self, conn: Conn, device: Device) -> list[dict[str, Any]]:
        """What a ready page must show: the first 2026 screen greets, then any undismissed one."""
        if conn.profile == "2026" and device.fresh_look_due:
            device.fresh_look_due = False
            device.dialogs.insert(0, new_dialog("fresh_look"))
        return [{"type": "dialog", **views.page_dialog(d)} for d in device.dialogs]

    async def show_dialog(self, account: Account, dialog: Dialog) -> int:
        """Every device of the account gets the popup; returns how many tabs show it now."""
        shown = 0
        for device in self.store.devices_of(account):
            device.dialogs.append(dialog)
            conn = self.conns.active(device.device_id)
            if conn is not None:
                await conn.send({"type": "dialog", **views.page_dialog(dialog)})
                shown += 1
        return shown

    def dialog_done(self, conn: Conn, dialog_id: object) -> None:
        """The page's button was pressed: the popup is gone for good."""
        device = self.store.devices.get(conn.device_id or "")
        if device is not None:
            device.dialogs = [d for d in device.dialogs if d.dialog_id != dialog_id]
