"""Collect domain events from ``wa:events`` in a test and wait for the ones it expects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from uuid import UUID

from redis.asyncio import Redis

from shared import events
from tests.support.databases import NAMES

Predicate = Callable[[events.Event], bool]


class EventTap:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self.seen: list[events.Event] = []
        # pub/sub is server-wide: only events of the sessions this test made are collected
        self.sessions: set[UUID] = set()
        self._new = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(NAMES.events_channel)
        self._task = asyncio.create_task(self._read(pubsub))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self, pubsub: object) -> None:
        async for msg in pubsub.listen():  # type: ignore[attr-defined]
            if msg.get("type") != "message":
                continue
            event = events.decode(msg["data"])
            if event.session_id not in self.sessions:
                continue
            async with self._new:
                self.seen.append(event)
                self._new.notify_all()

    async def wait_for(
        self, pred: Predicate, timeout_s: float = 60.0, what: str = ""
    ) -> events.Event:
        """The first event (already seen or coming) matching ``pred``."""

        async def find() -> events.Event:
            async with self._new:
                index = 0
                while True:
                    for event in self.seen[index:]:
                        if pred(event):
                            return event
                    index = len(self.seen)
                    await self._new.wait()

        try:
            return await asyncio.wait_for(find(), timeout_s)
        except TimeoutError:
            kinds = [f"{e.type}:{getattr(e.data, 'state', '')}" for e in self.seen[-15:]]
            raise AssertionError(f"no event {what!r} within {timeout_s}s; last: {kinds}") from None

    def count(self, pred: Predicate) -> int:
        return sum(1 for e in self.seen if pred(e))


def is_state(state: str, reason: str | None = None) -> Predicate:
    def pred(e: events.Event) -> bool:
        return (
            isinstance(e, events.StateEvent)
            and e.data.state == state
            and (reason is None or e.data.reason == reason)
        )

    return pred


def of_type(kind: str) -> Predicate:
    return lambda e: e.type == kind
