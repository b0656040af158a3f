"""Every Redis key, queue and channel name (DESIGN §5) and the timings tied to them.

Nothing else in the project spells a Redis name.
"""

from __future__ import annotations

POOL_QUEUE = "wa:pool"
EVENTS_CHANNEL = "wa:events"
WORKERS_INDEX = "wa:workers"  # sorted set worker_id -> last heartbeat (unix s), for cheap listing

LEASE_RENEW_EVERY_S = 5.0
WORKER_TTL_S = 15
HEARTBEAT_EVERY_S = 5.0


def session_queue(session_id: str) -> str:
    return f"wa:session:{session_id}"


def lease_key(session_id: str) -> str:
    return f"wa:lease:{session_id}"


def worker_key(worker_id: str) -> str:
    return f"wa:worker:{worker_id}"


def ctl_channel(worker_id: str) -> str:
    return f"wa:ctl:{worker_id}"


def start_job_id(session_id: str) -> str:
    return f"start:{session_id}"


def login_attempts_key(email: str, ip: str) -> str:
    return f"gw:login:{email}:{ip}"


# one worker at a time runs the reconciler pass (SET NX PX), so idle workers stay cheap
RECONCILE_LOCK = "wa:reconcile:lock"


def send_guard_key(message_id: str) -> str:
    """Set just before a message is typed: a redelivered send_text sees it and never types twice."""
    return f"wa:sending:{message_id}"


# hash kind -> count: what workers could not interpret on WhatsApp Web's page, across the
# deployment (the gateway's /metrics shows it as wa_page_unparsed_total{kind})
DRIFT_COUNTS = "wa:drift"

# gateway-internal: a manager's rights changed; every gateway re-checks that manager's live sockets
ACCESS_CHANNEL = "wa:access"


def send_job_id(message_id: str) -> str:
    """Job id of a message's ``send_text``: re-enqueueing a still-queued send is a no-op."""
    return f"send:{message_id}"
