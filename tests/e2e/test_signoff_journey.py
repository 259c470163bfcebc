"""Issue 13's journey, through HTTP with real receivers: the internal review runs as tasks,
the customer rejects through its QMS integration asking for containment of two serials, the
plant hears of it by email (a real SMTP server) and by a signed webhook (a real receiver),
reworks, resubmits with the review resuming where the customer's comments point, and the
customer's approval arrives by transcription with evidence that a second person verifies.
Then the holds are released, the gate allows, and first-pass yield counts the rejection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import plant
import pytest
from fastapi.testclient import TestClient
from outbox_world import Hook, SmtpInbox, real_delivery, subscribe_all

from firstarticle.domain.notifications import Topic
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.integrations.notify.smtp import SmtpMailer
from firstarticle.integrations.notify.webhooks import HttpWebhookSender
from firstarticle.services import ServiceContext, outbox

API = "/api/v1"
BUYER = "AP-SQE-7"
PDF = b"%PDF-1.7 Aero Prime portal: FAIR approved, ref AP-88412"
TEMPLATE = {
    "restart_on_resubmission": False,
    "stages": [
        {
            "key": "quality",
            "name": "Quality review of Forms 1 and 2",
            "role": "quality",
            "due_hours": 24,
            "required": True,
            "forms": [1, 2],
            "checklist": [{"key": "certs", "text": "Certificates match Form 2"}],
        },
        {
            "key": "engineering",
            "name": "Engineering review of Form 3",
            "role": "engineering",
            "due_hours": 24,
            "required": True,
            "forms": [3],
            "checklist": [{"key": "balloons", "text": "Every balloon of the drawing is on Form 3"}],
        },
    ],
}


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook().start()
    yield receiver
    receiver.stop()


def call(
    client: TestClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    actor: str = "q.engineer",
    expect: int = 200,
    **more: Any,
) -> Any:
    headers = {"X-Actor": actor, **more.pop("headers", {})}
    response = client.request(method, API + path, json=body, headers=headers, **more)
    assert response.status_code == expect, response.text
    return response.json()


def tasks_of(client: TestClient, fai_id: str, status: str = "open") -> list[dict[str, Any]]:
    listed = call(client, "GET", f"/tasks?first_article_id={fai_id}&status={status}&limit=200")
    return listed["items"]


def complete(client: TestClient, task: dict[str, Any], actor: str) -> None:
    answers = {item["key"]: {"answer": "yes"} for item in task["checklist"]}
    call(client, "POST", f"/tasks/{task['id']}/completion", {"answers": answers}, actor=actor)


def review_and_submit(client: TestClient, ctx: ServiceContext, fai_id: str) -> list[str]:
    """Field 20, the review stages as tasks (their order recorded), field 22, submit."""
    plant.sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    stages = []
    while open_reviews := [t for t in tasks_of(client, fai_id) if t["kind"] == "review"]:
        (task,) = open_reviews
        stages.append(task["stage"])
        complete(client, task, actor="q.engineer")
    plant.sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    call(client, "POST", f"/first-articles/{fai_id}/transitions", {"action": "submit"})
    return stages


def deliver(ctx: ServiceContext, inbox: SmtpInbox) -> None:
    mailer = SmtpMailer("127.0.0.1", inbox.port, sender="fai@plant.example", starttls=False)
    outbox.run(ctx, real_delivery(mailer, HttpWebhookSender(timeout=2.0)), "journey", once=True)


@pytest.mark.requirement("C5")
def test_the_sign_off_journey_from_rejection_to_approval(
    client: TestClient, ctx: ServiceContext, clock: Any, inbox: SmtpInbox, hook: Hook
) -> None:
    """Submit (attempt 1); the QMS rejects, asking containment of SN0002 and SN0003; hold,
    tasks, email and signed webhook; rework; resubmission resumes at the engineering stage
    (attempt 2); approval by a verified transcription; holds released; gate allows; first-pass
    yield 0 of 1."""
    shop = plant.a_plant(ctx, serials=("SN0001", "SN0002", "SN0003"))
    customer = shop.customer.id
    call(
        client,
        "PUT",
        f"/customers/{customer}/channel",
        {
            "authority": "customer_qms",
            "people": [{"customer_person_id": BUYER, "name": "Dana Ortiz"}],
        },
    )
    call(client, "PUT", f"/customers/{customer}/review-template", TEMPLATE)
    topics = (Topic.DECISION_CONTAINMENT, Topic.TASK_CREATED, Topic.HOLD_PLACED)
    hook.secret = subscribe_all(ctx, shop.site.id, hook.url, topics=topics).secret

    fai_id = plant.an_fai(ctx, shop).fai.id
    call(client, "POST", f"/first-articles/{fai_id}/transitions", {"action": "start"})
    plant.complete_results(ctx, fai_id)
    assert review_and_submit(client, ctx, fai_id) == ["quality", "engineering"]
    assert call(client, "GET", f"/first-articles/{fai_id}")["submission_attempt"] == 1

    # A day later the customer's QMS rejects balloon 1, asking containment of two serials.
    clock.advance(days=1)
    rejection = {
        "outcome": "rejected",
        "customer_person_id": BUYER,
        "decided_at": "2026-11-21T07:15:00-06:00",
        "reference": "AP-QMS-5521",
        "requested_action": "containment",
        "comments": [{"form": 3, "item": "1", "comment": "Bore measured on the wrong datum"}],
        "containment_serial_numbers": ["SN0002", "SN0003"],
    }
    call(
        client,
        "POST",
        f"/first-articles/{fai_id}/customer-decisions",
        rejection,
        actor="ap.qms",
        expect=201,
        headers={"Idempotency-Key": "AP-QMS-5521"},
    )
    holds = call(client, "GET", f"/holds?site_id={shop.site.id}&status=active")["items"]
    contained = [h for h in holds if h["kind"] == "containment"]
    assert [sorted(h["serial_numbers"]) for h in contained] == [["SN0002", "SN0003"]]
    assert {t["kind"] for t in tasks_of(client, fai_id)} >= {
        "rework",
        "resubmission",
        "containment",
    }

    deliver(ctx, inbox)
    subjects = [m["Subject"] for m in inbox.messages()]
    assert any("containment" in s.lower() for s in subjects), subjects
    kinds = [json.loads(body)["type"] for _, body, _ in hook.received]
    assert "firstarticle.decision_containment" in kinds
    assert all(valid for _, _, valid in hook.received)

    # Rework; the resubmission's review resumes at the stage concerning Form 3.
    call(
        client,
        "POST",
        f"/first-articles/{fai_id}/transitions",
        {"action": "rework", "reason": "Re-measured on datum A"},
    )
    for task in tasks_of(client, fai_id):
        if task["kind"] in {"rework", "containment"}:
            complete(client, task, actor="m.engineer" if task["kind"] == "rework" else "q.engineer")
    plant.complete_results(ctx, fai_id)
    assert review_and_submit(client, ctx, fai_id) == ["engineering"]
    assert call(client, "GET", f"/first-articles/{fai_id}")["submission_attempt"] == 2

    # The approval arrives by the portal's PDF, transcribed and verified by a second person.
    clock.advance(days=3)
    evidence = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/customer-decisions/evidence",
        actor="q.engineer",
        expect=201,
        files={"file": ("approval.pdf", PDF, "application/pdf")},
    )
    transcribed = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/customer-decisions/transcriptions",
        {
            "outcome": "approved",
            "customer_person_id": BUYER,
            "decided_at": "2026-11-24T07:00:00-06:00",
            "reference": "AP-88412",
            "evidence_id": evidence["id"],
        },
        expect=201,
    )
    assert transcribed["status"] == "pending_verification"
    call(
        client,
        "POST",
        f"/first-articles/{fai_id}/customer-decisions/{transcribed['id']}/verification",
        actor="q.manager",
    )
    fai = call(client, "GET", f"/first-articles/{fai_id}")
    assert fai["status"] == "approved"

    still = call(client, "GET", f"/holds?site_id={shop.site.id}&status=active")["items"]
    assert not [h for h in still if h["source"] == "fai_required"]
    answer = call(
        client,
        "POST",
        "/gate/checks",
        {
            "site": shop.site.code,
            "customer": shop.customer.code,
            "part_number": shop.part.number,
            "part_revision": "C",
            "kind": "shipment",
            "serial_numbers": ["SN0001"],
        },
    )
    assert answer["decision"] == "allow", answer

    fpy = call(client, "GET", f"/reports/first-pass-yield?customer={shop.customer.code}")
    assert (fpy["approved_first_time"], fpy["first_submissions"]) == (0, 1), fpy
    assert fpy["rejected_first_time"] == 1
