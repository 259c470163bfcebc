"""Bounded resources under database faults: the pool's ceiling, the gate's fail-closed answer
when the database is away or slow (RELIABILITY.md G1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firstarticle import bootstrap
from firstarticle.access.secrets import new_token
from firstarticle.api import gate as gate_api
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.ports import StorageUnavailableError
from firstarticle.storage.db import PoolLimits, make_engine
from firstarticle.storage.uow import translate

pytestmark = pytest.mark.requirement("G5")


GATE = {
    "site": "WCH",
    "customer": "AEROPRIME",
    "part_number": "7A1234-101",
    "part_revision": "C",
    "serial_numbers": ["SN0001"],
    "kind": "shipment",
}

BEARER = {"Authorization": f"Bearer {new_token()}"}


def test_the_pool_never_opens_more_than_its_ceiling(database_url: str, is_postgres: bool):
    """Callers beyond size + overflow wait for the checkout timeout and are refused as
    unavailable; the database never sees more connections than the ceiling."""
    if not is_postgres:
        pytest.skip("the pool ceiling is a server-database concern (SQLite is embedded)")
    engine = make_engine(database_url, pool=PoolLimits(size=2, overflow=1, checkout_seconds=0.3))
    held = [engine.connect() for _ in range(3)]
    try:
        started = time.monotonic()
        with pytest.raises(sa.exc.TimeoutError) as refused:
            engine.connect()
        assert time.monotonic() - started < 2.0
        assert isinstance(translate(refused.value), StorageUnavailableError)
        assert engine.pool.checkedout() == 3
    finally:
        for connection in held:
            connection.close()
        engine.dispose()


def test_many_threads_share_the_pool_without_exceeding_it(
    database_url: str, is_postgres: bool, figure
):
    """Twenty threads on a pool of 2 + 1: at no moment are more than three connections open."""
    if not is_postgres:
        pytest.skip("the pool ceiling is a server-database concern (SQLite is embedded)")
    engine = make_engine(database_url, pool=PoolLimits(size=2, overflow=1, checkout_seconds=10))
    opened, live, peak, lock = 0, 0, 0, threading.Lock()

    @sa.event.listens_for(engine, "connect")
    def _connect(*_: object) -> None:
        nonlocal opened, live, peak
        with lock:
            opened, live = opened + 1, live + 1
            peak = max(peak, live)

    @sa.event.listens_for(engine, "close")
    def _close(*_: object) -> None:
        nonlocal live
        with lock:
            live -= 1

    def work() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_sleep(0.05)"))

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    figure(
        "G5", "connections above the pool's ceiling (20 threads, ceiling 3)", max(0, peak - 3), "0"
    )
    assert opened >= 1
    assert peak <= 3


@pytest.fixture
def unreachable() -> Iterator[TestClient]:
    """The API over a PostgreSQL address where nothing listens."""
    settings = Settings(
        database_url="postgresql://firstarticle@127.0.0.1:9/absent",
        database_timeout_seconds=1,
        cookie_secure=False,
    )
    application = bootstrap.build(settings)
    with TestClient(create_app(application), raise_server_exceptions=False) as client:
        yield client
    application.engine.dispose()


def test_the_gate_denies_with_a_reason_when_the_database_is_away(unreachable: TestClient, figure):
    """ERP asks while the database is down: a deny with the reason code, never a 5xx — even
    before the caller's token can be read."""
    started = time.monotonic()
    answer = unreachable.post("/api/v1/gate/checks", json=GATE, headers=BEARER)
    figure("G5", "gate 5xx with the database away", int(answer.status_code >= 500), "0")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "deny"
    assert [r["code"] for r in body["reasons"]] == ["gate_unavailable"]
    assert time.monotonic() - started < 5


def test_other_routes_say_unavailable_as_problem_json(unreachable: TestClient):
    """Everything but the gate answers 503 with the stable code when the database is away."""
    answer = unreachable.get("/api/v1/parts", headers=BEARER)
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "storage_unavailable"


def test_a_slow_database_gets_a_deny_within_the_deadline(
    client: TestClient, application: bootstrap.Application, connection: sa.Connection, figure
):
    """Every round trip to the database takes 0.4 s: the gate still answers deny
    (gate_timeout) within its deadline plus the margin, not when the database is done."""
    application.settings.gate_deadline_seconds = 0.3

    def slow(*_: object) -> None:
        time.sleep(0.4)

    sa.event.listen(connection, "before_cursor_execute", slow)
    try:
        started = time.monotonic()
        answer = client.post("/api/v1/gate/checks", json=GATE)
        elapsed = time.monotonic() - started
    finally:
        sa.event.remove(connection, "before_cursor_execute", slow)
        gate_api.workers_of(client.app).shutdown(wait=True)
    figure(
        "G5",
        "seconds to answer over a slow database (deadline 0.3 + margin)",
        round(elapsed, 2),
        "< 1.3",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "deny"
    assert [r["code"] for r in answer.json()["reasons"]] == ["gate_timeout"]
    assert elapsed < 0.3 + gate_api.MARGIN_SECONDS + 0.5


def test_a_gate_call_without_credentials_is_still_refused_while_the_database_is_up(
    authed_client: TestClient,
):
    """The fail-closed answer is for an unreachable database only: a missing token is a 401."""
    assert authed_client.post("/api/v1/gate/checks", json=GATE).status_code == 401
