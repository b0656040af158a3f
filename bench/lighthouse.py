"""Lighthouse on the dashboard through nginx (login, sessions, chat list, one conversation; phone
and desktop) and Chromium's installability verdict, against a running stack.

``make bench`` runs it on its private stack; alone, against ``make demo`` for example:
``python -m bench.lighthouse --url http://127.0.0.1:8000 --email admin@demo.local
--password demo-admin-1`` (the first session and chat the account sees are audited).
Lighthouse 12 has no PWA category any more: installability is Chromium's own check
(``Page.getInstallabilityErrors``, ``Page.getAppManifest``, a controlling service worker).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "lighthouse.mjs"
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95}
TIMEOUT_S = 900


def first_chat(base: str, email: str, password: str) -> tuple[str, str | None]:
    """The first session the account sees and its newest chat (None when it has none)."""
    login = requests.post(
        f"{base}/api/auth/login", json={"email": email, "password": password}, timeout=30
    )
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['data']['token']}"}
    sessions = requests.get(f"{base}/api/whatsapp/sessions", headers=headers, timeout=30)
    session_id = str(sessions.json()["data"]["sessions"][0]["id"])
    chats = requests.get(
        f"{base}/api/whatsapp/sessions/{session_id}/chats?limit=1", headers=headers, timeout=30
    )
    found = chats.json()["data"]["chats"]
    return session_id, (str(found[0]["id"]) if found else None)


def audit(base: str, email: str, password: str, session_id: str, chat_id: str | None) -> Any:
    pages = [
        {"name": "login", "hash": "#/login", "signedIn": False},
        {"name": "sessions", "hash": "#/sessions", "signedIn": True},
        {"name": "chats", "hash": f"#/chats/{session_id}", "signedIn": True},
    ]
    if chat_id:
        pages.append(
            {"name": "conversation", "hash": f"#/chats/{session_id}/{chat_id}", "signedIn": True}
        )
    args = {
        "base": base.rstrip("/"),
        "email": email,
        "password": password,
        "pages": pages,
        "formFactors": ["mobile", "desktop"],
    }
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(
        ["node", str(SCRIPT), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-2000:]}
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    worst = {c: min(r["scores"][c] for r in report["runs"]) for c in TARGETS if report.get("runs")}
    report["worst"] = worst
    report["targets"] = {**TARGETS, "installable": True}
    report["meets_targets"] = (
        bool(worst)
        and all(worst[c] >= t for c, t in TARGETS.items())
        and (report["pwa"]["installable"])
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the dashboard's address (nginx)")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    session_id, chat_id = first_chat(args.url, args.email, args.password)
    report = audit(args.url, args.email, args.password, session_id, chat_id)
    sys.stdout.write(json.dumps({"bench": "lighthouse", **report}) + "\n")
    return 0 if report.get("meets_targets") else 1


if __name__ == "__main__":
    sys.exit(main())
