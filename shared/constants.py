"""Every Redis key, queue, channel and job id (DESIGN §5), and the timings tied to them.

Nothing else in the project spells a Redis name: code asks a deployment's ``RedisNames`` (built
from ``APP_REDIS_PREFIX``), so several deployments can share one Redis, pub/sub included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.settings import Settings

LEASE_RENEW_EVERY_S = 5.0
WORKER_TTL_S = 15
HEARTBEAT_EVERY_S = 5.0
# how long a drained session may take to be held on another host before the next one moves
DRAIN_MOVE_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class RedisNames:
    """The names of one deployment: ``<prefix>:<name>``, or the bare name when the prefix is empty.

    arq keeps a job under ``arq:job:<job id>``; job ids carry the prefix, so they are apart too.
    """

    prefix: str = ""

    @classmethod
    def of(cls, settings: Settings) -> RedisNames:
        return cls(settings.redis_prefix)

    def _name(self, name: str) -> str:
        return f"{self.prefix}:{name}" if self.prefix else name

    # --- queues and job ids (arq) --------------------------------------------------------

    @property
    def pool_queue(self) -> str:
        """``start_session`` jobs for idle workers."""
        return self._name("wa:pool")

    def session_queue(self, session_id: str) -> str:
        """Commands for whichever worker owns the session."""
        return self._name(f"wa:session:{session_id}")

    def start_job_id(self, session_id: str) -> str:
        """arq drops a second ``start_session`` for a session while one is queued."""
        return self._name(f"start:{session_id}")

    def send_job_id(self, message_id: str) -> str:
        """Job id of a message's ``send_text``: re-enqueueing a still-queued send is a no-op."""
        return self._name(f"send:{message_id}")

    def media_retry_job_id(self, message_id: str) -> str:
        """Job id of a message's ``retry_media``: one queued re-download at a time."""
        return self._name(f"media-retry:{message_id}")

    def passkey_job_id(self, request_id: str, action: str) -> str:
        """Job id of the ``answer`` or ``cancel`` of one passkey request: each is queued once."""
        return self._name(f"passkey-{action}:{request_id}")

    # --- pub/sub channels ----------------------------------------------------------------

    @property
    def events_channel(self) -> str:
        """Every domain event (shared/events.py), JSON."""
        return self._name("wa:events")

    @property
    def access_channel(self) -> str:
        """Gateway-internal: a user's rights or status changed; every gateway re-checks it."""
        return self._name("wa:access")

    @property
    def webhooks_channel(self) -> str:
        """A webhook was created, changed, replayed or redelivered: the sender looks now."""
        return self._name("wa:webhooks")

    def ctl_channel(self, worker_id: str) -> str:
        """Operator control of one worker: ``restart``, ``stop``."""
        return self._name(f"wa:ctl:{worker_id}")

    # --- keys ----------------------------------------------------------------------------

    def lease_key(self, session_id: str) -> str:
        """String (PX): the id of the worker that owns the session."""
        return self._name(f"wa:lease:{session_id}")

    def worker_key(self, worker_id: str) -> str:
        """Hash (TTL): a worker's heartbeat fields."""
        return self._name(f"wa:worker:{worker_id}")

    @property
    def workers_index(self) -> str:
        """Sorted set worker_id -> last heartbeat (unix s), for cheap listing."""
        return self._name("wa:workers")

    @property
    def reconcile_lock(self) -> str:
        """One worker at a time runs the reconciler pass (SET NX PX), so idle workers stay cheap."""
        return self._name("wa:reconcile:lock")

    @property
    def draining_hosts(self) -> str:
        """Set of host labels an operator drains: their workers take no session, and their
        sessions move elsewhere one at a time."""
        return self._name("wa:draining")

    def departed_key(self, worker_id: str) -> str:
        """String (PX): when a lease holder was first seen without its control subscription
        (its process is gone); confirmed a second later, its leases are expired early."""
        return self._name(f"wa:departed:{worker_id}")

    def drain_moving_key(self, host: str) -> str:
        """String (PX): the session of a draining host being handed off now (one at a time)."""
        return self._name(f"wa:drain:moving:{host}")

    @property
    def placement_key(self) -> str:
        """String (PX), JSON list: the hosts whose idle workers may take the next session (the
        least-loaded ones with a free worker); missing: any idle worker may."""
        return self._name("wa:placement")

    def send_guard_key(self, message_id: str) -> str:
        """Set just before a message is typed: a redelivered send_text never types twice."""
        return self._name(f"wa:sending:{message_id}")

    @property
    def worker_counters(self) -> str:
        """Hash counter -> count that workers increment (``browser_recycles``), on /metrics."""
        return self._name("wa:counters")

    @property
    def drift_counts(self) -> str:
        """Hash kind -> count: what workers could not interpret on WhatsApp Web's page."""
        return self._name("wa:drift")

    @property
    def media_counts(self) -> str:
        """Hash outcome -> count: workers' media downloads (stored, failed, gave_up, too_large)."""
        return self._name("wa:media")

    @property
    def snapshot_failures(self) -> str:
        """Hash reason -> count: profile snapshots not made, or refused on restore."""
        return self._name("wa:snapshot_failures")

    def login_email_key(self, email: str, address: str) -> str:
        """Login attempts for one email from one client address."""
        return self._name(f"gw:login:{email}:{address}")

    def login_address_key(self, address: str) -> str:
        """Failed logins from one client address, whatever the email."""
        return self._name(f"gw:login-from:{address}")
