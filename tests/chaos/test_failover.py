"""Failover under faults, on two "hosts" (workers with separate profile directories): the holder
killed during an inbound burst and during sends, Redis restarted, Postgres restarted, the
holder's network cut while the other host takes over. Nothing inbound is lost, nothing is sent
twice, the session comes back without a QR, and the cut-off holder's late writes are refused.
The scenarios live in tests/support/chaos_scenarios.py (``make chaos`` prints their figures).
``make test`` runs the kill -9 and network-cut tests; the ``chaos_long`` ones run in ``make
test-chaos`` (and their scenarios in ``make chaos``)."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.support import chaos_scenarios as scenarios
from tests.support.chaos import Cluster

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


async def linked_on_a_with_b_waiting(cluster: Cluster) -> tuple[UUID, str]:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    await cluster.start_worker("B")
    return sid, phone


async def run(cluster: Cluster, scenario: scenarios.Scenario) -> scenarios.Figures:
    sid, phone = await linked_on_a_with_b_waiting(cluster)
    figures = await scenario(cluster, sid, phone)
    print(scenario.__name__, figures)
    return figures


async def test_holder_killed_during_an_inbound_burst(cluster: Cluster) -> None:
    got = await run(cluster, scenarios.killed_during_inbound_burst)
    assert (got["inbound_lost"], got["inbound_stored_twice"], got["qr_shown"]) == (0, 0, 0), got


@pytest.mark.chaos_long
async def test_holder_killed_during_sends(cluster: Cluster) -> None:
    got = await run(cluster, scenarios.killed_during_sends)
    assert (got["sent_twice"], got["sends_lost"], got["qr_shown"]) == (0, 0, 0), got


@pytest.mark.chaos_long
async def test_redis_restarted(cluster: Cluster) -> None:
    got = await run(cluster, scenarios.redis_restarted)
    assert (got["inbound_lost"], got["inbound_stored_twice"], got["qr_shown"]) == (0, 0, 0), got


@pytest.mark.chaos_long
async def test_postgres_restarted(cluster: Cluster) -> None:
    got = await run(cluster, scenarios.postgres_restarted)
    assert (got["inbound_lost"], got["inbound_stored_twice"], got["qr_shown"]) == (0, 0, 0), got


async def test_cut_off_holder_is_replaced_and_its_late_writes_refused(cluster: Cluster) -> None:
    got = await run(cluster, scenarios.network_cut)
    assert (got["inbound_lost"], got["inbound_stored_twice"], got["qr_shown"]) == (0, 0, 0), got
    assert got["stale_writes_accepted"] == 0, got
    assert (got["holder_after"], got["state_after"]) == ("B", "ready"), got
