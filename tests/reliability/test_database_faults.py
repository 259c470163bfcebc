"""G1, G5 under real network faults: the API's database connections go through a TCP proxy
that passes, slows down or drops the traffic. The gate keeps answering deny in time, never a
5xx; the pool stays within its ceiling; connections to a vanished database are closed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from firstarticle import bootstrap
from firstarticle.api.app import create_app
from firstarticle.config import Settings
from firstarticle.domain.access import Principal, Role
from firstarticle.services import identity
from reliability.tcp_proxy import proxied, sockets_in_close_wait

pytestmark = [pytest.mark.postgres_only, pytest.mark.requirement("G1", "G5")]

DEADLINE = 0.5
CEILING = 3  # pool of 2 + 1 overflow


@pytest.fixture
def faulty(database_url: str, is_postgres: bool) -> Iterator[tuple[Any, ...]]:
    """The API over the test database through a fault proxy, and an ERP token (committed)."""
    if not is_postgres:
        pytest.skip("network faults between server and database need PostgreSQL")
    url = make_url(database_url)
    with proxied((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        settings = Settings(
            database_url=url.set(host="127.0.0.1", port=proxy.port).render_as_string(False),
            database_timeout_seconds=1,
            database_pool_size=2,
            database_pool_overflow=1,
            database_pool_checkout_seconds=0.5,
            gate_deadline_seconds=DEADLINE,
            cookie_secure=False,
        )
        application = bootstrap.build(settings)
        connections = ConnectionCount(application.engine)
        admin = application.context("fault-test").as_principal(Principal.trusted("fault-test"))
        name = f"erp.fault.{uuid.uuid4().hex[:8]}"
        identity.create_user(
            admin, username=name, printed_name="ERP", roles=[Role.SYSTEM_ERP], all_sites=True
        )
        token = identity.create_token(admin, name, name="fault test").secret
        with TestClient(create_app(application), raise_server_exceptions=False) as client:
            yield client, proxy, token, connections
        application.engine.dispose()


class ConnectionCount:
    """How many database connections the engine holds open, and the most at once."""

    def __init__(self, engine: sa.Engine) -> None:
        self.live = self.peak = 0
        self.lock = threading.Lock()
        sa.event.listen(engine, "connect", self._opened)
        sa.event.listen(engine, "close", self._closed)
        sa.event.listen(engine, "close_detached", self._closed)

    def _opened(self, *_: object) -> None:
        with self.lock:
            self.live += 1
            self.peak = max(self.peak, self.live)

    def _closed(self, *_: object) -> None:
        with self.lock:
            self.live -= 1


GATE = {
    "site": "NOPE",
    "customer": "NOBODY",
    "part_number": "X-1",
    "part_revision": "A",
    "serial_numbers": ["SN1"],
    "kind": "shipment",
}


def burst(
    client: TestClient, token: str, calls: int, threads: int = 4
) -> list[tuple[int, Any, float]]:
    """``calls`` gate questions from ``threads`` threads: (status, body, seconds) of each."""
    answers: list[tuple[int, Any, float]] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        for _ in range(n):
            started = time.monotonic()
            response = client.post(
                "/api/v1/gate/checks", json=GATE, headers={"Authorization": f"Bearer {token}"}
            )
            with lock:
                answers.append((response.status_code, response.json(), time.monotonic() - started))

    workers = [threading.Thread(target=ask, args=(calls // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_the_gate_holds_through_a_slow_then_vanished_database(faulty, figure):
    """Pass, slow (1.5 s a chunk), down, up again: every answer a deny or a decision with a
    reason, never a 5xx, each within the deadline plus margin; no socket left half-closed."""
    client, proxy, token, connections = faulty
    healthy = burst(client, token, 8)
    assert {status for status, _, _ in healthy} == {200}

    proxy.slow(1.5)
    slow = burst(client, token, 12)
    proxy.down()
    down = burst(client, token, 40)
    faults = slow + down
    proxy.up()
    time.sleep(0.2)
    recovered = burst(client, token, 12)

    server_errors = sum(status >= 500 for status, _, _ in faults + recovered)
    allows = sum(body.get("decision") == "allow" for _, body, _ in faults)
    slowest = max(seconds for _, _, seconds in faults)
    half_closed = sockets_in_close_wait(proxy.port)
    figure(
        "G5", f"gate 5xx under slow and vanished database ({len(faults)} calls)", server_errors, "0"
    )
    figure("G1", "allows under injected faults", allows, "0")
    figure("G5", "slowest answer under faults, seconds", round(slowest, 2), f"<= {DEADLINE + 1.5}")
    figure(
        "G5",
        "sockets left in CLOSE-WAIT after the database came back",
        half_closed,
        f"<= {CEILING}",
    )
    figure("G5", "most connections open at once (ceiling 3)", connections.peak, "<= 3")
    assert server_errors == 0
    assert allows == 0
    assert connections.peak <= CEILING
    assert {b["reasons"][0]["code"] for _, b, _ in faults} <= {
        "gate_timeout",
        "gate_unavailable",
        "site_unknown",
        "unknown_site",
        "customer_unknown",
    } | {b["reasons"][0]["code"] for _, b, _ in healthy}
    assert slowest <= DEADLINE + 1.5
    assert {status for status, _, _ in recovered[-4:]} == {200}
    assert half_closed <= CEILING
