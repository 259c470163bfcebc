"""Customer channels and decisions over HTTP: the configuration versions, the integration
with its Idempotency-Key, transcription with evidence and its verification, and every
refusal with its stable code and nothing written."""

from __future__ import annotations

import hashlib
from typing import Any

import plant
import pytest
from fastapi.testclient import TestClient

from firstarticle.domain import model
from firstarticle.services import ServiceContext, first_articles

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PERSON = "OD-SQE-311"
PDF = b"%PDF-1.7 the portal's approval NI-448812"


def problem_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def channel(client: TestClient, customer_id: str, authority: str, **more: Any) -> Any:
    body = {
        "authority": authority,
        "people": [{"customer_person_id": PERSON, "name": "Priya Raman", "email": "p@od.example"}],
        **more,
    }
    return client.put(f"{API}/customers/{customer_id}/channel", json=body)


def decision(outcome: str = "approved", **more: Any) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "customer_person_id": PERSON,
        "decided_at": "2026-11-20T07:30:00-06:00",
        "reference": "OD-QMS-88123",
        **more,
    }


@pytest.fixture
def submitted(ctx: ServiceContext) -> tuple[plant.Plant, str]:
    """A submitted FAI of a customer without a channel configuration yet."""
    shop = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, shop).fai.id
    plant.submit(ctx, fai_id)
    return shop, fai_id


def written(client: TestClient, fai_id: str) -> tuple[Any, Any]:
    """What a refusal must leave as it was: the decisions and the audit trail."""
    decisions = client.get(f"{API}/first-articles/{fai_id}/customer-decisions").json()
    audit = client.get(f"{API}/first-articles/{fai_id}/audit?limit=200").json()["items"]
    return decisions, audit


def test_a_channel_is_set_as_versions_and_shown(client: TestClient, submitted) -> None:
    """Each PUT is the next version; GET shows the one in force and the history."""
    shop, _ = submitted
    before = client.get(f"{API}/customers/{shop.customer.id}/channel").json()
    assert (before["current"]["version"], before["versions"]) == (0, [])
    assert channel(client, shop.customer.id, "portal", portal_name="Net-Inspect").status_code == 200
    second = channel(client, shop.customer.code, "customer_qms", buy_off="one_step")
    assert second.status_code == 200, second.text
    shown = client.get(f"{API}/customers/{shop.customer.id}/channel").json()
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["versions"][0]["portal_name"] == "Net-Inspect"
    assert shown["current"]["entry_paths"] == ["integration", "transcription"]
    assert shown["current"]["people"][0]["customer_person_id"] == PERSON


def test_a_path_the_authority_cannot_take_is_refused_in_the_configuration(
    client: TestClient, submitted
) -> None:
    """A portal cannot be configured to take integration calls: 422, no version written."""
    shop, _ = submitted
    response = channel(
        client, shop.customer.id, "portal", portal_name="Net-Inspect", entry_paths=["integration"]
    )
    assert problem_of(response, 422, "validation_failed")["field"] == "entry_paths"
    assert client.get(f"{API}/customers/{shop.customer.id}/channel").json()["versions"] == []


def test_an_integration_decision_honours_its_idempotency_key(client: TestClient, submitted) -> None:
    """The same key and body replay the answer; the same key with another body is refused
    and writes nothing."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "customer_qms")
    url = f"{API}/first-articles/{fai_id}/customer-decisions"
    headers = {"Idempotency-Key": "od-qms-88123", "X-Actor": "od.qms"}
    first = client.post(url, json=decision(), headers=headers)
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["path"], first.json()["replayed"]) == (
        "in_effect",
        "integration",
        False,
    )
    assert first.json()["decided_at"] == "2026-11-20T07:30:00-06:00"
    again = client.post(url, json=decision(), headers=headers)
    assert again.status_code == 201
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    before = written(client, fai_id)

    other = client.post(url, json=decision("rejected"), headers=headers)

    problem_of(other, 422, "idempotency_key_reused")
    assert written(client, fai_id) == before
    fai = client.get(f"{API}/first-articles/{fai_id}").json()
    assert fai["status"] == "approved"


def test_a_path_the_channel_does_not_allow_is_refused_naming_the_channel(
    client: TestClient, submitted
) -> None:
    """An integration call for a portal customer: 409 channel_path_not_allowed, nothing
    written, the portal named."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "portal", portal_name="Net-Inspect")
    before = written(client, fai_id)

    response = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions",
        json=decision(),
        headers={"Idempotency-Key": "k-1"},
    )

    body = problem_of(response, 409, "channel_path_not_allowed")
    assert body["authority"] == "portal"
    assert "Net-Inspect" in body["detail"]
    assert written(client, fai_id) == before


def test_a_person_the_channel_does_not_know_is_refused(client: TestClient, submitted) -> None:
    """An unknown customer person: 422 unknown_customer_person, nothing written."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "customer_qms")
    before = written(client, fai_id)
    response = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions",
        json=decision(customer_person_id="SOMEONE-ELSE"),
    )
    problem_of(response, 422, "unknown_customer_person")
    assert written(client, fai_id) == before


def upload(client: TestClient, fai_id: str, actor: str = "q.engineer") -> Any:
    return client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/evidence",
        files={"file": ("approval.pdf", PDF, "application/pdf")},
        headers={"X-Actor": actor},
    )


def test_a_transcription_is_verified_by_a_second_person_only(
    client: TestClient, submitted, ctx: ServiceContext
) -> None:
    """Evidence kept with its SHA-256; the transcription pends; its author's verification is
    409 transcription_self_verification; another person's puts it in effect."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "portal", portal_name="Net-Inspect")
    evidence = upload(client, fai_id)
    assert evidence.status_code == 201, evidence.text
    assert evidence.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    transcribed = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/transcriptions",
        json={**decision(), "evidence_id": evidence.json()["id"]},
        headers={"X-Actor": "q.engineer"},
    )
    assert transcribed.status_code == 201, transcribed.text
    assert transcribed.json()["status"] == "pending_verification"
    assert transcribed.json()["evidence"]["sha256"] == evidence.json()["sha256"]
    verify = (
        f"{API}/first-articles/{fai_id}/customer-decisions/{transcribed.json()['id']}/verification"
    )
    before = written(client, fai_id)

    own = client.post(verify, headers={"X-Actor": "q.engineer"})

    problem_of(own, 409, "transcription_self_verification")
    assert written(client, fai_id) == before
    verified = client.post(verify, headers={"X-Actor": "q.manager"})
    assert verified.status_code == 200, verified.text
    assert (verified.json()["status"], verified.json()["verified_by"]) == ("in_effect", "q.manager")
    assert first_articles.get_first_article(ctx, fai_id).fai.status.value == "approved"
    kept = client.get(
        f"{API}/first-articles/{fai_id}/customer-decisions/evidence/{evidence.json()['id']}"
    )
    assert kept.content == PDF
    assert kept.headers["X-Content-SHA256"] == hashlib.sha256(PDF).hexdigest()


def test_a_transcription_without_evidence_of_this_fai_is_refused(
    client: TestClient, submitted, ctx: ServiceContext
) -> None:
    """Evidence of another FAI cannot stand for this one."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "portal", portal_name="Net-Inspect")
    other = plant.an_fai(ctx, shop).fai.id
    foreign = upload(client, other).json()["id"]
    response = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/transcriptions",
        json={**decision(), "evidence_id": foreign},
    )
    problem_of(response, 404, "not_found")
    assert client.get(f"{API}/first-articles/{fai_id}/customer-decisions").json() == []


def test_evidence_is_uploaded_as_multipart(client: TestClient, submitted) -> None:
    """Anything else is 415."""
    _, fai_id = submitted
    response = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/evidence", content=PDF
    )
    assert response.status_code == 415


def test_a_verifier_refuses_a_transcription(client: TestClient, submitted) -> None:
    """Refused with a reason, it stays out of effect."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "portal", portal_name="Net-Inspect")
    evidence_id = upload(client, fai_id).json()["id"]
    decision_id = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/transcriptions",
        json={**decision(), "evidence_id": evidence_id},
    ).json()["id"]
    url = f"{API}/first-articles/{fai_id}/customer-decisions/{decision_id}/refusal"
    refused = client.post(
        url, json={"reason": "The PDF is for another FAIR"}, headers={"X-Actor": "q.manager"}
    )
    assert refused.json()["status"] == "refused"
    assert client.get(f"{API}/first-articles/{fai_id}").json()["status"] == "submitted"


def test_conditions_are_settled_one_by_one(client: TestClient, submitted) -> None:
    """The last condition met approves the conditional acceptance."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "customer_qms")
    accepted = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions",
        json=decision("conditionally_accepted", conditions=["Close finding 4"]),
    ).json()
    assert accepted["conditions"] == [
        {
            "number": 1,
            "text": "Close finding 4",
            "met": None,
            "settled_by": None,
            "settled_at": None,
        }
    ]
    url = f"{API}/first-articles/{fai_id}/customer-decisions/{accepted['id']}/conditions"
    problem_of(client.post(f"{url}/2", json={"met": True}), 404, "not_found")
    settled = client.post(f"{url}/1", json={"met": True, "note": "Finding 4 closed"})
    assert settled.json()["conditions"][0]["met"] is True
    assert client.get(f"{API}/first-articles/{fai_id}").json()["status"] == "approved"


def test_first_pass_yield_reports_the_counts_behind_the_ratio(
    client: TestClient, submitted
) -> None:
    """One FAI rejected on its first decision: 0 of 1; a site filter by code."""
    shop, fai_id = submitted
    channel(client, shop.customer.id, "customer_qms")
    client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions",
        json=decision(
            "rejected",
            comments=[{"form": 3, "item": "9", "comment": "Wrong tolerance"}],
            requested_action="containment",
            containment_serial_numbers=["SN0001"],
        ),
    )
    report = client.get(
        f"{API}/reports/first-pass-yield",
        params={"customer": shop.customer.code, "site": shop.site.code},
    )
    assert report.status_code == 200, report.text
    assert report.json() == {
        "customer": shop.customer.code,
        "site": shop.site.code,
        "program": None,
        "first_submissions": 1,
        "approved_first_time": 0,
        "rejected_first_time": 1,
        "conditional_open": 0,
        "awaiting_decision": 0,
        "first_pass_yield": 0.0,
    }


def test_a_programs_own_configuration_applies_to_its_work_orders(
    client: TestClient, ctx: ServiceContext
) -> None:
    """A work order names its program; the program's delegated buy-off approves on
    submission, while the customer's one-step configuration applies elsewhere."""
    shop = plant.a_plant(ctx)
    channel(client, shop.customer.id, "customer_qms")
    programme = channel(
        client, shop.customer.id, "customer_qms", program="F-35", buy_off="delegated"
    )
    assert programme.json()["current"]["program"] == "F-35"
    created = client.post(
        f"{API}/work-orders",
        json={
            "site_id": shop.site.id,
            "number": "WO-F35-1",
            "part_revision_id": shop.revision.id,
            "quantity": 1,
            "customer_id": shop.customer.id,
            "program": "F-35",
            "serial_numbers": ["F35-001"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["program"] == "F-35"
    in_programme = first_articles.create_first_article(
        ctx,
        work_order_id=created.json()["id"],
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New",
    ).fai.id
    plant.submit(ctx, in_programme)
    assert client.get(f"{API}/first-articles/{in_programme}").json()["status"] == "approved"
    (delegated,) = client.get(f"{API}/first-articles/{in_programme}/customer-decisions").json()
    assert (delegated["path"], delegated["channel_version"]) == ("delegated", 1)
    elsewhere = plant.an_fai(ctx, shop).fai.id
    plant.submit(ctx, elsewhere)
    assert client.get(f"{API}/first-articles/{elsewhere}").json()["status"] == "submitted"
    report = client.get(
        f"{API}/reports/first-pass-yield", params={"customer": shop.customer.id, "program": "F-35"}
    ).json()
    assert (report["first_submissions"], report["approved_first_time"]) == (1, 1)
