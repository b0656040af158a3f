"""One typed Settings object, read from the environment (see .env.example).

Built only in each process's ``__main__``; everything else receives it. Tests build their own.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "change-me-demo-only"
# the snapshot key when APP_SNAPSHOT_KEY is empty outside prod (demo and tests)
DEMO_SNAPSHOT_KEY = "demo-only-snapshot-key-never-in-prod"
# a deployment's Redis prefix: short, and nothing that could read as a separator of its own
REDIS_PREFIX_PATTERN = r"^[A-Za-z0-9_-]{0,32}$"

Mode = Literal["prod", "demo", "test"]
DriverKind = Literal["uc", "selenium"]
BridgeKind = Literal["auto", "module", "page"]
PasskeyRelayKind = Literal["extension", "script", "off"]


HOST_LABEL_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class Settings(BaseSettings):
    """Every knob of every process. Env names are the ``validation_alias`` of each field."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    mode: Mode = Field("prod", validation_alias="APP_MODE")
    database_url: str = Field(
        "postgresql://127.0.0.1:5432/wagateway", validation_alias="APP_DATABASE_URL"
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="APP_REDIS_URL")
    # every Redis key, queue and channel of this deployment starts with "<prefix>:" (none when
    # empty): deployments sharing one Redis must differ here (pub/sub ignores the DB number)
    redis_prefix: str = Field("", pattern=REDIS_PREFIX_PATTERN, validation_alias="APP_REDIS_PREFIX")
    # a Redis command or a Postgres unit of work that takes longer fails (a request answers 503)
    redis_timeout_s: float = Field(0.5, gt=0, le=30, validation_alias="APP_REDIS_TIMEOUT_S")
    db_timeout_s: float = Field(0.8, gt=0, le=60, validation_alias="APP_DB_TIMEOUT_S")
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, validation_alias="APP_JWT_SECRET")
    jwt_ttl_s: int = Field(12 * 3600, ge=60, validation_alias="APP_JWT_TTL_S")
    cors_origins: str = Field("", validation_alias="APP_CORS_ORIGINS")
    log_level: str = Field("INFO", validation_alias="APP_LOG_LEVEL")

    # gateway
    gateway_host: str = Field("127.0.0.1", validation_alias="APP_GATEWAY_HOST")
    gateway_port: int = Field(8080, validation_alias="APP_GATEWAY_PORT")
    max_body_bytes: int = Field(256 * 1024, validation_alias="APP_MAX_BODY_BYTES")
    auth_cache_s: float = Field(2.0, ge=0, validation_alias="APP_AUTH_CACHE_S")
    # chats and messages pages kept per gateway until an event of their company (gateway/pagecache)
    page_cache_entries: int = Field(
        512, ge=0, le=100_000, validation_alias="APP_PAGE_CACHE_ENTRIES"
    )
    page_cache_ttl_s: float = Field(5.0, ge=0, le=300, validation_alias="APP_PAGE_CACHE_TTL_S")
    login_attempts: int = Field(10, ge=1, validation_alias="APP_LOGIN_ATTEMPTS")
    login_window_s: int = Field(300, ge=1, validation_alias="APP_LOGIN_WINDOW_S")
    # failed logins from one client address, whatever the email, per window
    login_attempts_per_address: int = Field(
        50, ge=1, validation_alias="APP_LOGIN_ATTEMPTS_PER_ADDRESS"
    )
    # comma-separated addresses or CIDRs of reverse proxies (nginx) whose X-Forwarded-For /
    # X-Real-IP / X-Forwarded-Proto / X-Forwarded-Host are believed; from anyone else they are not
    trusted_proxies: str = Field("", validation_alias="APP_TRUSTED_PROXIES")
    # on SIGTERM: sockets are closed at once, in-flight requests get this long to finish
    shutdown_timeout_s: float = Field(3.0, ge=0, le=60, validation_alias="APP_SHUTDOWN_TIMEOUT_S")
    # argon2id cost; lowered only in tests so the suite stays quick
    password_memory_kib: int = Field(64 * 1024, ge=8, validation_alias="APP_PASSWORD_MEMORY_KIB")
    password_time_cost: int = Field(3, ge=1, validation_alias="APP_PASSWORD_TIME_COST")
    # POST .../pairing-code waits this long for the worker's code before answering 504
    pairing_code_wait_s: float = Field(
        20.0, gt=0, le=20, validation_alias="APP_PAIRING_CODE_WAIT_S"
    )

    # event log (every gateway, the webhook sender)
    # events older than this are pruned; a socket resuming from a pruned id must resync
    event_retention_h: float = Field(168.0, gt=0, validation_alias="APP_EVENT_RETENTION_H")
    # how often the log is read for events whose Redis publish never came (the slow path)
    event_poll_s: float = Field(1.0, gt=0, le=60, validation_alias="APP_EVENT_POLL_S")
    # a socket that missed more events than this is told to resync instead of replaying them
    resume_max_events: int = Field(10_000, ge=1, validation_alias="APP_RESUME_MAX_EVENTS")
    prune_interval_s: float = Field(60.0, gt=0, validation_alias="APP_PRUNE_INTERVAL_S")

    # webhooks (python -m webhooks)
    webhook_timeout_s: float = Field(10.0, gt=0, le=60, validation_alias="APP_WEBHOOK_TIMEOUT_S")
    # a delivery that still fails this long after its event is dead-lettered
    webhook_retry_for_s: float = Field(86_400.0, gt=0, validation_alias="APP_WEBHOOK_RETRY_FOR_S")
    webhook_backoff_base_s: float = Field(1.0, gt=0, validation_alias="APP_WEBHOOK_BACKOFF_BASE_S")
    webhook_backoff_max_s: float = Field(3600.0, gt=0, validation_alias="APP_WEBHOOK_BACKOFF_MAX_S")
    webhook_concurrency: int = Field(32, ge=1, le=1000, validation_alias="APP_WEBHOOK_CONCURRENCY")
    # targets on loopback, private, link-local or otherwise non-public addresses are refused
    # (SSRF) unless this is true (a receiver on the same host or network)
    webhook_allow_private: bool = Field(False, validation_alias="APP_WEBHOOK_ALLOW_PRIVATE")

    # worker and browser
    # the host a worker runs on, as placement and drain see it (sessions spread across hosts;
    # an operator drains one by this label); in the worker id and the heartbeat
    host_label: str = Field(  # empty: the hostname
        "", pattern=r"^[A-Za-z0-9._-]{0,64}$", validation_alias="APP_HOST_LABEL"
    )
    # empty: "<host label>-<pid>"
    worker_id: str = Field("", validation_alias="APP_WORKER_ID")
    profile_dir: Path = Field(
        Path("/var/lib/wagateway/profiles"), validation_alias="APP_PROFILE_DIR"
    )
    # media of messages (shared/media): where the bytes live, how big one may be, how long kept
    media_backend: Literal["local", "s3"] = Field("local", validation_alias="APP_MEDIA_BACKEND")
    media_dir: Path = Field(Path("/var/lib/wagateway/media"), validation_alias="APP_MEDIA_DIR")
    media_max_mb: int = Field(16, ge=1, le=2048, validation_alias="APP_MEDIA_MAX_MB")
    media_retention_days: int = Field(0, ge=0, validation_alias="APP_MEDIA_RETENTION_DAYS")
    # the s3 backend: any S3-compatible service (path-style addressing, SigV4)
    media_s3_endpoint: str = Field("", validation_alias="APP_MEDIA_S3_ENDPOINT")
    media_s3_bucket: str = Field("", validation_alias="APP_MEDIA_S3_BUCKET")
    media_s3_region: str = Field("us-east-1", validation_alias="APP_MEDIA_S3_REGION")
    media_s3_access_key: str = Field("", validation_alias="APP_MEDIA_S3_ACCESS_KEY")
    media_s3_secret_key: str = Field("", validation_alias="APP_MEDIA_S3_SECRET_KEY")
    media_s3_prefix: str = Field("media/", max_length=200, validation_alias="APP_MEDIA_S3_PREFIX")
    # signed media links (POST .../media/link): how long one works
    media_link_ttl_s: int = Field(300, ge=10, le=7 * 86400, validation_alias="APP_MEDIA_LINK_TTL_S")
    # send-media with a url: the whole download must finish within this
    media_fetch_timeout_s: float = Field(
        30.0, gt=0, le=600, validation_alias="APP_MEDIA_FETCH_TIMEOUT_S"
    )
    # downloads of a file a worker tries (with backoff) before it is shown as unavailable
    media_attempts: int = Field(5, ge=1, le=100, validation_alias="APP_MEDIA_ATTEMPTS")
    wa_url: str = Field("https://web.whatsapp.com", validation_alias="WA_URL")
    chromium_path: str = Field("/usr/bin/chromium", validation_alias="APP_CHROMIUM_PATH")
    chromedriver_path: str = Field(
        "/usr/bin/chromedriver", validation_alias="APP_CHROMEDRIVER_PATH"
    )
    browser_driver: DriverKind = Field("uc", validation_alias="APP_BROWSER_DRIVER")
    headless: bool = Field(True, validation_alias="APP_HEADLESS")
    browser_start_timeout_s: float = Field(
        60.0, gt=0, validation_alias="APP_BROWSER_START_TIMEOUT_S"
    )
    # an idle worker keeps one Chromium started for its next new session (worker/browser/warm.py)
    warm_browser: bool = Field(True, validation_alias="APP_WARM_BROWSER")
    # a session whose browser's PSS stays above this is recycled by a hand-off (0: never)
    browser_max_pss_mb: int = Field(0, ge=0, validation_alias="APP_BROWSER_MAX_PSS_MB")
    # a short lease is safe with fencing (migration 0010): a killed holder's session moves within
    # about TTL + reconcile period + browser start
    lease_ttl_ms: int = Field(4_000, ge=1000, validation_alias="APP_LEASE_TTL_MS")
    reconcile_interval_s: float = Field(1.0, gt=0, validation_alias="APP_RECONCILE_INTERVAL_S")
    poll_interval_s: float = Field(0.2, gt=0, validation_alias="APP_POLL_INTERVAL_S")
    sync_chats_limit: int = Field(20, ge=0, validation_alias="APP_SYNC_CHATS")
    conflict_takeover_s: float = Field(3.0, ge=0, validation_alias="APP_CONFLICT_TAKEOVER_S")
    page_timeout_s: float = Field(30.0, gt=0, validation_alias="APP_PAGE_TIMEOUT_S")
    # a sent message whose row has not appeared by then becomes 'unconfirmed' (never re-sent)
    send_confirm_s: float = Field(15.0, gt=0, validation_alias="APP_SEND_CONFIRM_S")
    # a dialog the worker does not know that blocks the page longer than this -> blocked
    unknown_dialog_s: float = Field(30.0, gt=0, validation_alias="APP_UNKNOWN_DIALOG_S")
    # how the worker reaches WhatsApp Web: "module" (wa-js, WhatsApp's own JS modules), "page"
    # (the page objects), "auto" (module when WPP gets ready within APP_BRIDGE_READY_S, else page)
    bridge: BridgeKind = Field("auto", validation_alias="APP_BRIDGE")
    # a wa-js build to inject instead of the bundled one (node_modules/@wppconnect/wa-js/dist)
    wajs_path: str = Field("", validation_alias="APP_WAJS_PATH")
    bridge_ready_s: float = Field(15.0, gt=0, le=300, validation_alias="APP_BRIDGE_READY_S")
    # WhatsApp's passkey check while linking, relayed to an admin's browser: "extension" (the
    # relay extension in the worker's Chromium; the injected script when it cannot load),
    # "script" (the injected navigator.credentials.get only), "off" (the session goes blocked)
    passkey_relay: PasskeyRelayKind = Field("extension", validation_alias="APP_PASSKEY_RELAY")
    # how long an admin has to answer it (at most what the page itself waits, 10 minutes)
    passkey_wait_s: float = Field(600.0, gt=0, le=3600, validation_alias="APP_PASSKEY_WAIT_S")
    # more Chromium flags, shell-quoted (e.g. a proxy, or --host-resolver-rules for a stand-in)
    chromium_extra_args: str = Field("", validation_alias="APP_CHROMIUM_EXTRA_ARGS")

    # portable profiles: encrypted snapshots of a session's WhatsApp storage in Postgres, restored
    # by a worker on another host whose profile directory is missing or older
    snapshots: bool = Field(True, validation_alias="APP_SNAPSHOTS")
    # AES-256-GCM key material (>= 32 characters; required in prod while snapshots are on)
    snapshot_key: str = Field("", validation_alias="APP_SNAPSHOT_KEY")
    # where the sealed bytes live: postgres (the row) or s3 (the APP_MEDIA_S3_* storage, under
    # APP_SNAPSHOT_S3_PREFIX; the row keeps the metadata and the object's key)
    snapshot_store: Literal["postgres", "s3"] = Field(
        "postgres", validation_alias="APP_SNAPSHOT_STORE"
    )
    snapshot_s3_prefix: str = Field(
        "snapshots/", max_length=200, validation_alias="APP_SNAPSHOT_S3_PREFIX"
    )
    # snapshots kept per session (the newest good ones)
    snapshot_keep: int = Field(3, ge=1, le=100, validation_alias="APP_SNAPSHOT_KEEP")
    # storage changed and then quiet this long -> a snapshot (at the latest 12x this after a change)
    snapshot_debounce_s: float = Field(
        5.0, gt=0, le=3600, validation_alias="APP_SNAPSHOT_DEBOUNCE_S"
    )
    # a profile's essential state larger than this is not snapshotted (counted and reported)
    snapshot_max_mb: int = Field(256, ge=1, le=1000, validation_alias="APP_SNAPSHOT_MAX_MB")

    @model_validator(mode="after")
    def _default_host_and_worker_id(self) -> Settings:
        # frozen: the defaults that depend on the machine are set once, here, while building
        if not self.host_label:
            label = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "host"
            object.__setattr__(self, "host_label", label)
        if not self.worker_id:
            object.__setattr__(self, "worker_id", f"{self.host_label}-{os.getpid()}")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode == "prod" and self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ValueError(
                "APP_JWT_SECRET is the built-in demo default; set a long random secret "
                "(or APP_MODE=demo for a local demo)"
            )
        if self.mode == "prod" and len(self.jwt_secret) < 32:
            raise ValueError("APP_JWT_SECRET must be at least 32 characters in prod mode")
        if self.mode == "prod" and self.snapshots and len(self.snapshot_key) < 32:
            raise ValueError(
                "APP_SNAPSHOT_KEY must be at least 32 random characters in prod mode "
                "(it encrypts the sessions' profile snapshots), or set APP_SNAPSHOTS=false"
            )
        return self

    @model_validator(mode="after")
    def _retention_outlives_retries(self) -> Settings:
        if self.event_retention_h * 3600 <= self.webhook_retry_for_s:
            raise ValueError(
                "APP_EVENT_RETENTION_H must be longer than APP_WEBHOOK_RETRY_FOR_S: an event"
                " still being retried must stay in the log"
            )
        return self

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.media_backend == "s3" and not self.media_s3_bucket:
            raise ValueError("APP_MEDIA_BACKEND=s3 needs APP_MEDIA_S3_BUCKET")
        return self

    @model_validator(mode="after")
    def _check_trusted_proxies(self) -> Settings:
        self.trusted_proxy_networks  # noqa: B018 (raises on a bad entry, naming it)
        return self

    @model_validator(mode="after")
    def _check_chromium_args(self) -> Settings:
        self.chromium_extra_arg_list  # noqa: B018 (raises on unbalanced quotes)
        return self

    @property
    def chromium_extra_arg_list(self) -> list[str]:
        try:
            return shlex.split(self.chromium_extra_args)
        except ValueError as exc:
            raise ValueError(f"APP_CHROMIUM_EXTRA_ARGS: {exc}") from None

    @property
    def snapshot_secret(self) -> str:
        return self.snapshot_key or DEMO_SNAPSHOT_KEY

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        networks = []
        for entry in (e.strip() for e in self.trusted_proxies.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"APP_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR"
                ) from None
        return tuple(networks)

    @property
    def media_max_bytes(self) -> int:
        return self.media_max_mb * 1024 * 1024
