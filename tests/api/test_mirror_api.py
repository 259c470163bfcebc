"""Mirror endpoints over HTTP: Idempotency-Key replays, refusals, problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firstarticle.storage import orm

CUSTOMER = {"external_id": "ERP-C-1", "source_version": 1, "code": "AERO", "name": "Aero Prime"}


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_new_record_is_created_and_a_resend_is_unchanged(client: TestClient) -> None:
    """201 created the first time, 200 unchanged afterwards."""
    first = client.post("/api/v1/mirror/customers", json=CUSTOMER)
    again = client.post("/api/v1/mirror/customers", json=CUSTOMER)
    assert (first.status_code, first.json()["outcome"]) == (201, "created")
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    assert again.json()["record_id"] == first.json()["record_id"]


def test_a_retried_request_with_the_same_key_replays_the_first_answer(
    client: TestClient, connection: sa.Connection
) -> None:
    """Same Idempotency-Key, same body: the stored answer, marked replayed, nothing written."""
    headers = {"Idempotency-Key": "k-1", "X-Actor": "erp"}
    first = client.post("/api/v1/mirror/customers", json=CUSTOMER, headers=headers)
    audit = count(connection, orm.audit_entries)
    replays = [
        client.post("/api/v1/mirror/customers", json=CUSTOMER, headers=headers) for _ in range(50)
    ]
    assert {r.status_code for r in replays} == {201}
    assert all(r.json()["replayed"] for r in replays)
    assert {r.json()["record_id"] for r in replays} == {first.json()["record_id"]}
    assert count(connection, orm.audit_entries) == audit


@pytest.mark.requirement("C4")
def test_a_thousand_retries_of_twenty_requests_have_each_side_effect_once(
    client: TestClient, connection: sa.Connection, figure: Any
) -> None:
    """Twenty customers sent by ERP, each retried fifty times under its key (as a flaky
    network makes it do): twenty customers, twenty audit entries, every retry replayed."""
    customers, audit = count(connection, orm.customers), count(connection, orm.audit_entries)
    answers: dict[str, set[str]] = {}
    for attempt in range(50):
        for n in range(20):
            body = {**CUSTOMER, "external_id": f"ERP-R-{n}", "code": f"RTY{n:02d}"}
            sent = client.post(
                "/api/v1/mirror/customers", json=body, headers={"Idempotency-Key": f"r-{n}"}
            )
            assert sent.status_code == 201
            assert sent.json()["replayed"] is (attempt > 0)
            answers.setdefault(body["code"], set()).add(sent.json()["record_id"])
    duplicates = (count(connection, orm.customers) - customers - 20) + sum(
        len(ids) - 1 for ids in answers.values()
    )
    figure("C4", "duplicate side effects over 1,000 retried requests", duplicates, "0")
    assert duplicates == 0
    assert count(connection, orm.audit_entries) - audit == 20


def test_the_same_key_with_another_body_is_refused(
    client: TestClient, connection: sa.Connection
) -> None:
    """Reusing a key for a different request is a 422 problem, and nothing is written."""
    headers = {"Idempotency-Key": "k-2"}
    client.post("/api/v1/mirror/customers", json=CUSTOMER, headers=headers)
    before = count(connection, orm.customers)
    other = {**CUSTOMER, "external_id": "ERP-C-2", "code": "ORB"}
    response = client.post("/api/v1/mirror/customers", json=other, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert count(connection, orm.customers) == before


def test_keys_are_per_caller(client: TestClient) -> None:
    """Two systems may use the same key without seeing each other's answers."""
    a = client.post(
        "/api/v1/mirror/customers",
        json=CUSTOMER,
        headers={"Idempotency-Key": "same", "X-Actor": "erp-a"},
    )
    other = {**CUSTOMER, "external_id": "ERP-C-9", "code": "ORB"}
    b = client.post(
        "/api/v1/mirror/customers",
        json=other,
        headers={"Idempotency-Key": "same", "X-Actor": "erp-b"},
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert b.json()["replayed"] is False


def test_a_conflicting_version_is_a_409_problem(client: TestClient) -> None:
    """Other content under a version already received is refused."""
    client.post("/api/v1/mirror/customers", json=CUSTOMER)
    response = client.post("/api/v1/mirror/customers", json={**CUSTOMER, "name": "Renamed"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_a_mirror_body_with_unknown_fields_is_a_422(client: TestClient) -> None:
    """Mirror bodies are strict: a misspelt field is refused, not ignored."""
    response = client.post("/api/v1/mirror/customers", json={**CUSTOMER, "nmae": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_a_work_order_for_an_unknown_revision_is_a_404(client: TestClient) -> None:
    """ERP naming a revision PLM has not released yet gets a clear not-found."""
    client.post("/api/v1/sites", json={"code": "WCH", "name": "Wichita"})
    response = client.post(
        "/api/v1/mirror/work-orders",
        json={
            "external_id": "WO-1",
            "source_version": 1,
            "site": "WCH",
            "number": "WO-1",
            "part_number": "NOPE",
            "revision": "A",
            "quantity": 1,
        },
    )
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


def test_a_customer_reads_the_form_numbering_it_asks_for(client: TestClient) -> None:
    """Rev B is a customer's setting, by hand or from ERP; Rev C when nobody says."""
    by_hand = client.post(
        "/api/v1/customers", json={"code": "OLDCO", "name": "Old Co", "form_revision": "B"}
    )
    assert by_hand.status_code == 201, by_hand.text
    assert by_hand.json()["form_revision"] == "B"
    plain = client.post("/api/v1/customers", json={"code": "NEWCO", "name": "New Co"})
    assert plain.json()["form_revision"] == "C"
    mirrored = client.post("/api/v1/mirror/customers", json={**CUSTOMER, "form_revision": "B"})
    assert mirrored.status_code in (200, 201), mirrored.text
    listed = client.get("/api/v1/customers", params={"limit": 200}).json()["items"]
    assert {c["code"]: c["form_revision"] for c in listed}["AERO"] == "B"
    refused = client.post(
        "/api/v1/customers", json={"code": "BADCO", "name": "Bad", "form_revision": "A"}
    )
    assert refused.status_code == 422
