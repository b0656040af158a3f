"""Every selector, label and text of WhatsApp Web the worker relies on, in one table.

Python page objects read it; the JS files receive it as their first argument (``S``), so no other
file spells WhatsApp's markup. Both generations are covered: the 2023-era page and today's (2026).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SELECTORS: Final[dict[str, str]] = {
    # landing: QR, link with phone number, splash, sync
    "qr": "div[data-ref]",
    "qrReload": "div[data-ref] > span > button",
    "landingButton": 'span[role="button"], div[role="button"], button',
    "phoneInput": 'input[aria-label="Type your phone number."]',
    "linkCode": "div[data-link-code]",
    # after the passkey check: the number to confirm on the phone
    "passkeyCode": '[data-testid="passkey-confirmation-code"]',
    "alert": '[role="alert"]',
    "startup": "#startup",
    "progress": "progress",
    "syncLegacy": '[data-testid="sync-progress"]',
    # the app: side pane, chat list, own profile
    "side": "#side",
    "paneSide": "#pane-side",
    "chatRow": '#pane-side [role="listitem"], #pane-side [role="grid"] [role="row"]',
    "chatName": 'span[dir="auto"][title], span[title]',
    "chatTitles": "span[title]",
    "badge": "span[aria-label]",
    "offline": '#side span[data-icon="alert-computer"]',
    "ownNameLegacy": '#side header span[data-testid="profile-name"]',
    "profileButton": 'header div[role="button"][aria-label="Profile"]',
    "profileDrawer": 'div[role="region"][aria-label="Profile"]',
    "drawerName": 'span[dir="auto"][title]',
    "drawerBack": 'div[role="button"][aria-label="Back"]',
    "menu": '#side header [role="button"][aria-label="Menu"]',
    "menuItems": '[role="application"] li, [role="button"]',
    # the open chat
    "main": "#main",
    "mainHeader": "#main header",
    "mainTitle": "#main header span[title]",
    "infoDrawer": (
        'div[role="region"][aria-label="Contact info"], div[role="region"][aria-label="Group info"]'
    ),
    "groupInfo": 'div[role="region"][aria-label="Group info"]',
    "drawerClose": 'div[role="button"][aria-label="Close"]',
    "messageRow": '#main [role="row"] div[data-id]',
    "anyRow": "div[data-id]",
    "rowById": 'div[data-id="{id}"]',  # {id}: CSS.escape(data-id)
    "outgoing": ".message-out",
    "incoming": ".message-in",
    "prePlain": "[data-pre-plain-text]",
    "text": 'span.selectable-text, span[data-testid="selectable-text"]',
    "tick": 'span[data-icon^="msg-"]',
    "compose": 'footer div[contenteditable="true"][data-tab="10"]',
    "send": 'button[aria-label="Send"]',
    # media in a row: the kind from its player or frame; the file as a blob: URL once downloaded
    "mediaImage": '[role="button"][aria-label="Open picture"]',
    "mediaSticker": '[role="button"][aria-label="Sticker"]',
    "mediaVideo": '[role="button"][aria-label="Play video"]',
    "mediaVoice": 'button[aria-label="Play voice message"]',
    "mediaAudio": 'button[aria-label="Play audio"]',
    "mediaDocument": 'div[role="button"][title^="Download"]',
    "mediaDocName": 'span[dir="auto"][title]',
    "mediaDuration": '[data-testid="media-duration"]',
    "mediaBlob": 'img[src^="blob:"], video[src^="blob:"], audio[src^="blob:"], a[href^="blob:"]',
    "mediaThumb": 'img[src^="data:image/jpeg"], video[poster^="data:image/jpeg"]',
    "mediaRetry": 'button[aria-label="Retry download"]',
    # sending a file: the composer's attach menu, its hidden inputs, the caption and Send
    "attach": 'footer div[role="button"][aria-label="Attach"]',
    "attachPhotos": 'li[aria-label="Photos & videos"] input[type="file"]',
    "attachDocument": 'li[aria-label="Document"] input[type="file"]',
    "caption": 'div[contenteditable="true"][aria-label="Add a caption"]',
    "mediaSend": 'div[role="button"][aria-label="Send"]',
    # popups
    "dialog": 'div[role="dialog"]',
    "dialogButton": 'button, [role="button"]',
}

# texts matched case-insensitively (the worker starts Chromium with --lang=en-US)
TEXTS: Final[dict[str, str]] = {
    "unsupported": "whatsapp works with google chrome",
    "conflict": "open in another window",
    "passkey": "passkey",
    "passkeyContinue": "continue",
    "syncing": "loading your chats",
    "linkWithPhone": "phone number",
    "next": "next",
    "logOut": "log out",
    "invalidNumber": "phone number shared via url is invalid",
    # localStorage key of the linked account's id ("<digits>:<device>@c.us", JSON-quoted)
    "widStorageKey": "last-wid-md",
}


@dataclass(frozen=True)
class KnownDialog:
    """A popup the worker knows: matched by a fragment of its text (or, with ``text`` None, by
    being a plain notice with that single button), dismissed with ``button``."""

    name: str
    text: str | None
    button: str


CONFLICT = KnownDialog("conflict", TEXTS["conflict"], "Use here")
INVALID_NUMBER = KnownDialog("invalid_number", TEXTS["invalidNumber"], "OK")
LOG_OUT_CONFIRM = KnownDialog("log_out", "log out?", "Log out")
KNOWN_DIALOGS: Final[tuple[KnownDialog, ...]] = (
    KnownDialog("fresh_look", "a fresh look for whatsapp web", "Continue"),
    KnownDialog("whats_new", "what's new in whatsapp web", "Got it"),
    CONFLICT,  # pressed only after APP_CONFLICT_TAKEOVER_S (the runtime decides)
    INVALID_NUMBER,  # the send that opened it fails
    KnownDialog("notice", None, "OK"),
    KnownDialog("notice", None, "Got it"),
)


def known_dialog(text: str, buttons: list[str]) -> KnownDialog | None:
    """Which known dialog this is, if any."""
    lowered = text.lower().replace("\u2019", "'")
    labels = [b.strip().lower() for b in buttons]
    for dialog in KNOWN_DIALOGS:
        if dialog.text is not None and dialog.text in lowered:
            return dialog
        if dialog.text is None and labels == [dialog.button.lower()]:
            return dialog
    return None
