"""Screenshots of the dashboard for the README: the chat list and a conversation on a phone
(390 x 844) and the inbox on a desktop (1280 x 900), from a running stack such as ``make demo``.

    PYTHONPATH=. .venv/bin/python docs/screenshots/take.py --url http://127.0.0.1:8000 \\
        --email admin@demo.local --password demo-admin-1

The first session the account sees and its newest chat are shown; PNGs are reduced to 64 colours.
``--chat SESSION_ID/CHAT_ID`` adds ``phone-media.png``: that conversation on a phone (one with
photos, a voice note and a document shows how media look in the inbox).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image
from selenium import webdriver

from tests.support.dashboard import DESKTOP, PHONE, Dashboard, make_chrome, quit_chrome

OUT = Path(__file__).resolve().parent
SETTLE_S = 1.5  # fonts, the service worker and the last renders


def first_chat(base: str, email: str, password: str) -> tuple[str, str]:
    login = requests.post(
        f"{base}/api/auth/login", json={"email": email, "password": password}, timeout=30
    )
    headers = {"Authorization": f"Bearer {login.json()['data']['token']}"}
    sessions = requests.get(f"{base}/api/whatsapp/sessions", headers=headers, timeout=30).json()
    sid = sessions["data"]["sessions"][0]["id"]
    chats = requests.get(
        f"{base}/api/whatsapp/sessions/{sid}/chats?limit=1", headers=headers, timeout=30
    ).json()
    return str(sid), str(chats["data"]["chats"][0]["id"])


def save(driver: webdriver.Chrome, name: str) -> None:
    time.sleep(SETTLE_S)
    path = OUT / f"{name}.png"
    driver.save_screenshot(str(path))
    small = Image.open(path).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot(
    base: str,
    email: str,
    password: str,
    size: tuple[int, int],
    names: list[str],
    *,
    chat_ref: tuple[str, str] | None = None,
) -> None:
    sid, chat = chat_ref or first_chat(base, email, password)
    with tempfile.TemporaryDirectory(prefix="wagw-shot") as tmp:
        driver = make_chrome(Path(tmp), size)
        if size == PHONE:  # 1x for small files (make_chrome emulates a 2x phone)
            metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            page = Dashboard(driver, base + "/")
            page.login(email, password)
            page.wait_view("sessions")
            page.socket_transport()  # live: the header's dot is green
            for name in names:
                listing = name.endswith("chats")
                page.go(f"#/chats/{sid}" if listing else f"#/chats/{sid}/{chat}")
                page.wait_visible("[data-testid=chat-item]" if listing else "[data-testid=message]")
                save(driver, name)
        finally:
            quit_chrome(driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--chat", help="SESSION_ID/CHAT_ID of a conversation with media")
    args = parser.parse_args()
    shoot(args.url, args.email, args.password, PHONE, ["phone-chats", "phone-conversation"])
    shoot(args.url, args.email, args.password, DESKTOP, ["desktop-inbox"])
    if args.chat:
        sid, _, chat = args.chat.partition("/")
        shoot(args.url, args.email, args.password, PHONE, ["phone-media"], chat_ref=(sid, chat))


if __name__ == "__main__":
    main()
