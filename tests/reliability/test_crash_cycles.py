"""C3: the server killed with SIGKILL in the middle of writes, again and again, loses no write
it acknowledged, and the audit chain verifies after every restart.

Each cycle starts the real server on the same database (a SQLite file in WAL with
synchronous=FULL, or a PostgreSQL database of its own in the PostgreSQL pass), lets
clients create customers and ask the gate (each answer a recorded decision) as fast as they
can, kills the process at a random moment, then checks that every 201 and every decision id
handed out before the kill is in the database and that `firstarticle audit verify` passes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from e2e.test_served_process import (
    Served,
    drop_postgres_database,
    free_port,
    own_postgres_database,
    serve_demo,
    wait_for_health,
)

pytestmark = pytest.mark.requirement("C3")
CYCLES = 20


def _engine(served: Served) -> sa.Engine:
    """The server's own database, read directly (never through the server under test)."""
    return sa.create_engine(
        served.env["FIRSTARTICLE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )


def _gate_question(served: Served) -> dict[str, Any]:
    """One serial of the demo plant, as ERP asks the gate about it."""
    engine = _engine(served)
    with engine.connect() as db:
        row = db.exec_driver_sql(
            """
            SELECT sites.code, customers.code, parts.number, part_revisions.revision,
                   serial_numbers.number
            FROM serial_numbers
            JOIN work_orders ON work_orders.site_id = serial_numbers.site_id
                            AND work_orders.id = serial_numbers.work_order_id
            JOIN part_revisions ON part_revisions.id = work_orders.part_revision_id
            JOIN parts ON parts.id = part_revisions.part_id
            JOIN customers ON customers.id = work_orders.customer_id
            JOIN sites ON sites.id = serial_numbers.site_id
            ORDER BY serial_numbers.number LIMIT 1
            """
        ).one()
    engine.dispose()
    site, customer, part, revision, serial = row
    return {
        "site": site,
        "customer": customer,
        "part_number": part,
        "part_revision": revision,
        "serial_numbers": [serial],
        "kind": "shipment",
    }


def _restart(served: Served) -> Served:
    """The same server command on the same database and working directory, a new port."""
    port = free_port()
    command = [sys.executable, "-m", "firstarticle", "serve", "--demo", "--port", str(port)]
    with served.log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=served.workdir,
            env=served.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    again = Served(
        f"http://127.0.0.1:{port}",
        served.database,
        served.log,
        process,
        served.env,
        served.workdir,
    )
    wait_for_health(again)
    return again


class Writers:
    """Clients writing until told to stop; what the server acknowledged, kept apart."""

    def __init__(self, served: Served, admin: str, erp: str, question: dict[str, Any]) -> None:
        self.served, self.question = served, question
        self.headers = {"admin": {"Authorization": f"Bearer {admin}"}}
        self.headers["erp"] = {"Authorization": f"Bearer {erp}"}
        self.customers: list[str] = []
        self.decisions: list[str] = []
        self.stop = threading.Event()

    def customers_loop(self, cycle: int) -> None:
        with httpx.Client(base_url=self.served.base_url, timeout=5.0) as client:
            n = 0
            while not self.stop.is_set():
                code = f"K{cycle:02d}-{n:05d}"
                n += 1
                try:
                    answer = client.post(
                        "/api/v1/customers",
                        json={"code": code, "name": f"Crash {code}"},
                        headers=self.headers["admin"],
                    )
                except httpx.HTTPError:
                    return  # the server is gone: nothing more is acknowledged
                if answer.status_code == 201:
                    self.customers.append(code)

    def gate_loop(self) -> None:
        with httpx.Client(base_url=self.served.base_url, timeout=5.0) as client:
            while not self.stop.is_set():
                try:
                    answer = client.post(
                        "/api/v1/gate/checks", json=self.question, headers=self.headers["erp"]
                    )
                except httpx.HTTPError:
                    return
                if answer.status_code == 200 and answer.json().get("recorded", True):
                    self.decisions.append(answer.json()["decision_id"])


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[Served]:
    own = own_postgres_database("crash")
    settings = {"database_url": own[0]} if own else {}
    try:
        yield from serve_demo(tmp_path, tmp_path / "crash.db", **settings)
    finally:
        if own:
            drop_postgres_database(own[1])


def _verify_audit(served: Served) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firstarticle", "audit", "verify"],
        cwd=served.workdir,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_acknowledged_write_is_lost_over_twenty_kill_9_cycles(first_start: Served, figure):
    served = first_start
    admin, erp = served.token_for("admin"), served.token_for("demo-erp")
    question = _gate_question(served)
    rng = random.Random(3)
    acknowledged = {"customers": 0, "decisions": 0}
    lost: list[str] = []
    audit_failures: list[str] = []
    for cycle in range(CYCLES):
        writers = Writers(served, admin, erp, question)
        threads = [
            threading.Thread(target=writers.customers_loop, args=(cycle,)),
            threading.Thread(target=writers.gate_loop),
        ]
        for t in threads:
            t.start()
        # Kill only once both kinds of write are under way (a loaded machine starts slowly),
        # then at a random moment while they run.
        deadline = time.monotonic() + 60
        while not (writers.customers and writers.decisions) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.1, 0.8))
        os.kill(served.process.pid, signal.SIGKILL)  # no shutdown, no flush: a power cut
        served.process.wait(timeout=30)
        writers.stop.set()
        for t in threads:
            t.join(timeout=30)
        acknowledged["customers"] += len(writers.customers)
        acknowledged["decisions"] += len(writers.decisions)
        engine = _engine(served)
        with engine.connect() as db:
            codes = {r[0] for r in db.exec_driver_sql("SELECT code FROM customers")}
            ids = {r[0] for r in db.exec_driver_sql("SELECT id FROM gate_decisions")}
        engine.dispose()
        lost += [f"cycle {cycle}: customer {c}" for c in writers.customers if c not in codes]
        lost += [f"cycle {cycle}: decision {d}" for d in writers.decisions if d not in ids]
        verified = _verify_audit(served)
        if verified.returncode != 0:
            audit_failures.append(f"cycle {cycle}: {verified.stdout}{verified.stderr}")
        served = _restart(served)
    served.process.terminate()
    served.process.wait(timeout=30)
    print(
        f"C3: {CYCLES} kill -9 cycles, {acknowledged['customers']} customers and "
        f"{acknowledged['decisions']} gate decisions acknowledged, lost {len(lost)}, "
        f"audit verify failures {len(audit_failures)}"
    )
    figure("C3", f"acknowledged writes lost over {CYCLES} kill -9 cycles", len(lost), "0")
    assert acknowledged["customers"] >= CYCLES
    assert acknowledged["decisions"] >= CYCLES
    assert lost == [], lost[:10]
    assert audit_failures == [], audit_failures[:3]
