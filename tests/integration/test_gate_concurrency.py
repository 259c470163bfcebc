"""Races between holds and gate questions on PostgreSQL, with real commits between threads."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from plant import a_plant, an_fai, approve

from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.domain.holds import Decision, GateKind, HoldKind
from firstarticle.services import gate, holds

pytestmark = pytest.mark.requirement("G2")


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def committed_application(database_url: str, is_postgres: bool) -> bootstrap.Application:
    """An application whose writes really commit, for tests across connections."""
    if not is_postgres:
        pytest.skip("concurrency between connections is tested on PostgreSQL")
    return bootstrap.build(Settings(database_url=database_url), clock=WallClock())


def test_no_gate_call_started_after_a_hold_commits_is_allowed(committed_application, figure):
    """Eight threads ask the gate while a hold is placed: nothing asked after commit passes."""
    ctx = committed_application.context("race")
    code = "R" + uuid.uuid4().hex[:8].upper()
    plant = a_plant(ctx, code=code, part_number=f"RACE-{code}")
    approve(ctx, an_fai(ctx, plant).fai.id)
    request = gate.GateRequest(
        site=code,
        customer=plant.customer.code,
        part_number=plant.part.number,
        part_revision="C",
        kind=GateKind.SHIPMENT,
        serial_numbers=("SN0001",),
    )
    calls: list[tuple[float, float, Decision]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def asker() -> None:
        erp = committed_application.context("erp")
        while not stop.is_set():
            started = time.monotonic()
            answer = gate.check(erp, request)
            with lock:
                calls.append((started, time.monotonic(), answer.decision))

    threads = [threading.Thread(target=asker) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.SHIPMENT,
        part_revision_id=plant.revision.id,
        reason="Escape found at customer",
    )
    committed = time.monotonic()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)

    before = [d for s, _e, d in calls if s < committed]
    after = [d for s, _e, d in calls if s >= committed]
    assert Decision.ALLOW in before, "the race never saw the configuration allowed"
    assert len(after) >= 20, "too few calls after the commit to say anything"
    figure(
        "G2",
        f"allows after a hold committed ({len(after)} calls)",
        after.count(Decision.ALLOW),
        "0",
    )
    assert after.count(Decision.ALLOW) == 0
