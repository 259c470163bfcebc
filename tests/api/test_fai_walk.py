"""An FAI walked through its lifecycle over HTTP only, acting as different people (X-Actor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import plant
import pytest
from fastapi.testclient import TestClient

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
MEASURED_AT = "2026-11-20T09:30:00+00:00"  # before the fixed test clock (14:00 UTC)
DECIDED_AT = "2026-11-20T13:00:00Z"

ENGINEER = "q.engineer"
INSPECTOR = "inspector.a"
CHECKER = "inspector.b"
MANAGER = "q.manager"
PORTAL = "portal.clerk"


def call(
    client: TestClient,
    method: str,
    path: str,
    body: Any = None,
    *,
    actor: str = ENGINEER,
    expect: int = 200,
    request_id: str | None = None,
) -> Any:
    """Send one request as ``actor`` and return its JSON body after checking the status."""
    headers = {"X-Actor": actor}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    response = client.request(method, API + path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def problem_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The problem body of ``response`` after checking its status, media type and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    for key in ("type", "title", "detail"):
        assert body[key]
    return body


@dataclass
class Shop:
    """Ids of a plant built through the API."""

    site_id: str
    customer_id: str
    part_id: str
    revision_id: str
    work_order_id: str


def build_shop(client: TestClient, *, code: str = "WCH", part_number: str = "7A1234-101") -> Shop:
    """A site, customer, released part revision with three characteristics, and a work order."""
    site = call(client, "POST", "/sites", {"code": code, "name": "Wichita"}, expect=201)
    customer = call(
        client,
        "POST",
        "/customers",
        {"code": f"AERO-{code}", "name": "Aero Prime", "channel": "portal", "vendor_code": "AP-77"},
        expect=201,
    )
    call(
        client,
        "PUT",
        f"/customers/{customer['id']}/channel",
        {
            "authority": "portal",
            "portal_name": "Net-Inspect",
            "people": [{"customer_person_id": BUYER, "name": "J. Buyer (Aero Prime)"}],
        },
    )
    part = call(client, "POST", "/parts", {"number": part_number, "name": "Bracket"}, expect=201)
    revision = call(
        client,
        "POST",
        f"/parts/{part['id']}/revisions",
        {"revision": "C", "drawings": [{"number": "7A1234", "revision": "C"}]},
        expect=201,
    )
    characteristics = call(
        client,
        "POST",
        f"/revisions/{revision['id']}/characteristics",
        {
            "characteristics": [
                {
                    "drawing_number": "7A1234",
                    "balloon": "1",
                    "nominal": "25.00",
                    "upper_tolerance": "0.05",
                    "lower_tolerance": "-0.05",
                    "units": "mm",
                    "sheet": "1",
                    "zone": "B2",
                },
                {
                    "drawing_number": "7A1234",
                    "balloon": "2",
                    "requirement": "⌀6.35 +0.05/-0 mm",
                    "lower_limit": "6.35",
                    "upper_limit": "6.40",
                    "units": "mm",
                    "designator": "key",
                },
                {
                    "drawing_number": "7A1234",
                    "balloon": "3",
                    "ctype": "note",
                    "requirement": "Chemical film per MIL-DTL-5541 Type II Class 3",
                },
            ]
        },
        expect=201,
    )
    assert [c["balloon"] for c in characteristics] == ["1", "2", "3"]
    assert characteristics[1]["designator"] == "key"
    work_order = call(
        client,
        "POST",
        "/work-orders",
        {
            "site_id": site["id"],
            "number": "WO-58812",
            "part_revision_id": revision["id"],
            "quantity": 10,
            "customer_id": customer["id"],
            "router": "RT-7A1234-C",
            "purchase_order": "PO-4471",
            "operations": [{"sequence": 10, "name": "Mill"}, {"sequence": 20, "name": "Inspect"}],
            "serial_numbers": ["SN0001"],
        },
        expect=201,
    )
    serials = call(
        client,
        "POST",
        f"/work-orders/{work_order['id']}/serials",
        {"serial_numbers": ["SN0002", "SN0003"]},
        expect=201,
    )
    assert [s["number"] for s in serials] == ["SN0002", "SN0003"]
    return Shop(site["id"], customer["id"], part["id"], revision["id"], work_order["id"])


def create_fai(client: TestClient, shop: Shop, **fields: Any) -> dict[str, Any]:
    """A full detail FAI in draft for the shop's work order."""
    body = {"work_order_id": shop.work_order_id, "reason": "New part", **fields}
    fai: dict[str, Any] = call(client, "POST", "/first-articles", body, expect=201)
    return fai


SIGNED = {"request_review": "verified", "approve_internally": "reviewed_approved"}


def sign(client: TestClient, fai_id: str, meaning: str, *, actor: str = ENGINEER) -> httpx.Response:
    """``actor`` signs with a fresh nonce and their password; the raw answer."""
    nonce = call(client, "POST", "/signing-nonces", actor=actor, expect=201)["nonce"]
    return client.post(
        f"{API}/first-articles/{fai_id}/signatures",
        json={"meaning": meaning, "nonce": nonce, "password": plant.PASSWORD},
        headers={"X-Actor": actor},
    )


def transition(
    client: TestClient,
    fai_id: str,
    action: str,
    *,
    actor: str = ENGINEER,
    reason: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Take ``action``; review and internal approval are signatures (field 20, field 22)."""
    if action in SIGNED:
        response = sign(client, fai_id, SIGNED[action], actor=actor)
        assert response.status_code == 201, response.text
        return call(client, "GET", f"/first-articles/{fai_id}")
    body: dict[str, Any] = {"action": action, **extra}
    if reason is not None:
        body["reason"] = reason
    result: dict[str, Any] = call(
        client, "POST", f"/first-articles/{fai_id}/transitions", body, actor=actor
    )
    return result


BUYER = "AP-BUYER-7"  # the person Aero Prime's channel names


def decision_body(outcome: str, comments: str | None = None) -> dict[str, Any]:
    """A customer decision as the portal shows it; a rejection comments on balloon 1."""
    body: dict[str, Any] = {
        "outcome": outcome,
        "customer_person_id": BUYER,
        "decided_at": DECIDED_AT,
        "reference": "PORTAL-9001",
    }
    if outcome == "rejected" and comments is not None:
        body["comments"] = [{"form": 3, "item": "1", "comment": comments}]
        body["requested_action"] = "resubmission"
    if outcome == "conditionally_accepted" and comments is not None:
        body["conditions"] = [comments]
    return body


def transcribe(
    client: TestClient, fai_id: str, body: dict[str, Any], actor: str = ENGINEER
) -> httpx.Response:
    """Upload the portal's PDF and transcribe the decision it shows, as ``actor``."""
    evidence = client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/evidence",
        files={"file": ("portal.pdf", b"%PDF-1.7 portal decision", "application/pdf")},
        headers={"X-Actor": actor},
    )
    assert evidence.status_code == 201, evidence.text
    return client.post(
        f"{API}/first-articles/{fai_id}/customer-decisions/transcriptions",
        json={**body, "evidence_id": evidence.json()["id"]},
        headers={"X-Actor": actor},
    )


def decide(
    client: TestClient, fai_id: str, outcome: str, comments: str | None = None
) -> dict[str, Any]:
    """The engineer transcribes the portal's decision; the manager verifies it."""
    response = transcribe(client, fai_id, decision_body(outcome, comments))
    assert response.status_code == 201, response.text
    call(
        client,
        "POST",
        f"/first-articles/{fai_id}/customer-decisions/{response.json()['id']}/verification",
        actor=MANAGER,
    )
    fai: dict[str, Any] = call(client, "GET", f"/first-articles/{fai_id}")
    return fai


def account_form2(client: TestClient, fai_id: str) -> None:
    """State 'none applies' for each Form 2 category the FAI lists nothing of."""
    fai = call(client, "GET", f"/first-articles/{fai_id}")
    listed = {r["kind"] for r in fai["form2"]} | {x["kind"] for x in fai["form2_none_applies"]}
    for kind in ("material", "special_process", "functional_test"):
        if kind not in listed:
            call(
                client,
                "POST",
                f"/first-articles/{fai_id}/form2-statements",
                {"kind": kind, "reason": "Machined from customer-furnished stock."},
                expect=201,
            )


def record_results(client: TestClient, fai_id: str, hole: str = "25.01") -> dict[str, Any]:
    """Device results for the two dimensions and a manual attribute for the note (and Form 2
    accounted for, so that results are what readiness waits for)."""
    account_form2(client, fai_id)
    fai: dict[str, Any] = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/results",
        {
            "results": [
                {
                    "balloon": "1",
                    "measured_at": MEASURED_AT,
                    "source": "device_import",
                    "value": hole,
                    "units": "mm",
                    "device": "CMM-1",
                },
                {
                    "balloon": "2",
                    "measured_at": MEASURED_AT,
                    "source": "device_import",
                    "value": "0.2510",
                    "units": "in",
                    "device": "CMM-1",
                },
                {
                    "balloon": "3",
                    "measured_at": MEASURED_AT,
                    "source": "manual_entry",
                    "attribute": "accept",
                    "operator": INSPECTOR,
                },
            ]
        },
        actor=INSPECTOR,
        expect=201,
    )
    return fai


def unverified_result_ids(fai: dict[str, Any]) -> list[str]:
    return [
        r["result_id"]
        for line in fai["form3"]
        for r in line["results"]
        if r["source"] == "manual_entry" and r["verified_by"] is None
    ]


def complete_results(client: TestClient, fai_id: str) -> dict[str, Any]:
    """Record every result and have a second person verify the manual ones."""
    fai = record_results(client, fai_id)
    for result_id in unverified_result_ids(fai):
        fai = call(
            client,
            "POST",
            f"/first-articles/{fai_id}/results/{result_id}/verification",
            actor=CHECKER,
        )
    return fai


def to_submitted(client: TestClient, fai_id: str) -> dict[str, Any]:
    """From in_progress with complete results to submitted."""
    transition(client, fai_id, "request_review", actor=ENGINEER)
    transition(client, fai_id, "approve_internally", actor=MANAGER)
    return transition(client, fai_id, "submit", actor=ENGINEER)


def approved_fai(client: TestClient, shop: Shop) -> dict[str, Any]:
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    complete_results(client, fai["id"])
    to_submitted(client, fai["id"])
    return decide(client, fai["id"], "approved")


@pytest.fixture
def shop(client: TestClient) -> Shop:
    return build_shop(client)


def test_an_fai_walks_from_draft_to_customer_approval_through_the_api(
    client: TestClient, shop: Shop
) -> None:
    """Create, start, record and verify results, review, submit and record the approval."""
    fai = create_fai(client, shop)
    fai_id = fai["id"]
    assert fai["status"] == "draft"
    assert fai["fair_identifier"] == "FAIR-WCH-2026-0001"
    assert fai["submission_attempt"] == 0
    assert fai["allowed_actions"] == ["start", "cancel"]
    assert fai["form1"]["serial_numbers"] == ["SN0001"]
    assert fai["form1"]["supplier_code"] == "AP-77"
    assert fai["form1"]["purchase_order"] == "PO-4471"
    assert fai["form1"]["manufacturing_process_reference"] == "WO WO-58812 / Router RT-7A1234-C"
    assert [line["char_no"] for line in fai["form3"]] == ["1", "2", "3"]
    assert fai["form3"][1]["designator"] == "key"
    assert fai["ready"] is False

    assert transition(client, fai_id, "start")["status"] == "in_progress"

    fai = record_results(client, fai_id)
    lines = {line["char_no"]: line for line in fai["form3"]}
    assert lines["1"]["results"][0]["conformance"] == "conforming"
    assert lines["2"]["results"][0]["conformance"] == "conforming"  # 0.2510 in = 6.3754 mm
    note = lines["3"]["results"][0]
    assert (note["attribute"], note["recorded_by"], note["verified_by"]) == (
        "accept",
        INSPECTOR,
        None,
    )
    assert {f["rule"] for f in fai["findings"] if f["severity"] == "blocking"} == {
        "RESULT_MANUAL_UNVERIFIED"
    }

    fai = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/results/{note['result_id']}/verification",
        actor=CHECKER,
    )
    verified = next(line for line in fai["form3"] if line["char_no"] == "3")["results"][0]
    assert verified["verified_by"] == CHECKER
    assert fai["ready"] is True

    assert transition(client, fai_id, "request_review")["status"] == "pending_internal_review"
    approved = transition(client, fai_id, "approve_internally", actor=MANAGER)
    assert approved["status"] == "internally_approved"
    submitted = transition(client, fai_id, "submit")
    assert (submitted["status"], submitted["submission_attempt"]) == ("submitted", 1)

    fai = decide(client, fai_id, "approved")
    assert fai["status"] == "approved"
    assert fai["submission_attempt"] == 1
    assert fai["allowed_actions"] == ["reset", "supersede"]
    assert fai["form1"]["documented_nonconformances"] is False
    decision = fai["form1"]["customer_decision"]
    assert (decision["outcome"], decision["attempt"], decision["channel"]) == (
        "approved",
        1,
        "portal",
    )
    assert decision["recorded_by"] == ENGINEER

    readiness = call(client, "GET", f"/first-articles/{fai_id}/readiness")
    assert readiness["ready"] is True
    assert readiness["blocking"] == 0
    assert readiness["fair_identifier"] == "FAIR-WCH-2026-0001"

    first_two = call(client, "GET", f"/first-articles/{fai_id}/audit?limit=2")
    assert len(first_two["items"]) == 2
    assert first_two["total"] > 2  # the trail comes a page at a time, never all at once
    audit = call(client, "GET", f"/first-articles/{fai_id}/audit?limit=200")["items"]
    assert [e["position"] for e in audit[:2]] == [e["position"] for e in first_two["items"]]
    expected = [
        ("first_article.created", ENGINEER),
        ("fai.start", ENGINEER),
        ("result.recorded", INSPECTOR),
        ("result.recorded", INSPECTOR),
        ("result.recorded", INSPECTOR),
        ("result.verified", CHECKER),
        ("fai.request_review", ENGINEER),
        ("fai.approve_internally", MANAGER),
        ("fai.submit", ENGINEER),
        ("fai.customer_decision_transcribed", ENGINEER),
        ("fai.customer_decision_verified", MANAGER),
        ("fai.approve", MANAGER),
        ("fai.customer_decision_recorded", MANAGER),
    ]
    # Other kinds of entries (holds, notifications) may interleave; these steps come in order.
    known = {action for action, _ in expected}
    steps = [(e["action"], e["actor"]) for e in audit if e["action"] in known]
    assert steps == expected
    assert all(entry["actor"] and entry["at"] for entry in audit)
    positions = [entry["position"] for entry in audit]
    assert positions == sorted(positions)
    by_action = {entry["action"]: entry for entry in audit}
    assert by_action["fai.submit"]["changes"] == {
        "status": ["internally_approved", "submitted"],
        "submission_attempt": [0, 1],
    }


def test_the_audit_trail_keeps_the_request_id_of_each_change(
    client: TestClient, shop: Shop
) -> None:
    """The X-Request-ID of a change is stored with its audit entry and echoed back."""
    fai = create_fai(client, shop)
    response = client.post(
        f"{API}/first-articles/{fai['id']}/transitions",
        json={"action": "start"},
        headers={"X-Actor": MANAGER, "X-Request-ID": "walk-start-1"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "walk-start-1"
    audit = call(client, "GET", f"/first-articles/{fai['id']}/audit?limit=200")["items"]
    start = next(entry for entry in audit if entry["action"] == "fai.start")
    assert (start["actor"], start["request_id"]) == (MANAGER, "walk-start-1")


def test_a_refused_transition_is_a_409_problem_and_changes_nothing(
    client: TestClient, shop: Shop
) -> None:
    """`start` on an approved FAI is a 409 transition_not_allowed naming the allowed actions."""
    fai = approved_fai(client, shop)
    before = call(client, "GET", f"/first-articles/{fai['id']}")
    audit_before = call(client, "GET", f"/first-articles/{fai['id']}/audit?limit=200")["items"]

    response = client.post(
        f"{API}/first-articles/{fai['id']}/transitions",
        json={"action": "start"},
        headers={"X-Actor": ENGINEER},
    )

    body = problem_of(response, 409, "transition_not_allowed")
    assert body["allowed_actions"] == ["reset", "supersede"]
    assert body["current_status"] == "approved"
    assert body["action"] == "start"
    after = call(client, "GET", f"/first-articles/{fai['id']}")
    assert after == before
    assert (
        call(client, "GET", f"/first-articles/{fai['id']}/audit?limit=200")["items"] == audit_before
    )


def test_requesting_review_with_results_missing_is_a_409_guard_failure_with_findings(
    client: TestClient, shop: Shop
) -> None:
    """request_review without results is transition_guard_failed and lists rule ids."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    account_form2(client, fai["id"])

    response = sign(client, fai["id"], "verified")

    body = problem_of(response, 409, "transition_guard_failed")
    assert {f["rule"] for f in body["findings"]} == {"RESULT_MISSING"}
    labels = sorted(r["label"] for f in body["findings"] for r in f["records"])
    assert labels == ["balloon 1", "balloon 2", "balloon 3"]
    assert all(f["severity"] == "blocking" and f["message"] for f in body["findings"])
    after = call(client, "GET", f"/first-articles/{fai['id']}")
    assert after["status"] == "in_progress"
    readiness = call(client, "GET", f"/first-articles/{fai['id']}/readiness")
    assert (readiness["ready"], readiness["blocking"]) == (False, 3)


def test_an_unverified_manual_result_blocks_the_review(client: TestClient, shop: Shop) -> None:
    """A manual entry not yet verified by a second person keeps the FAI from review."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    record_results(client, fai["id"])

    response = sign(client, fai["id"], "verified")

    body = problem_of(response, 409, "transition_guard_failed")
    assert [f["rule"] for f in body["findings"]] == ["RESULT_MANUAL_UNVERIFIED"]


def test_the_person_who_entered_a_manual_result_cannot_verify_it(
    client: TestClient, shop: Shop
) -> None:
    """Verification by the recorder (or the operator) is a 422 and leaves it unverified."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    fai = record_results(client, fai["id"])
    (result_id,) = unverified_result_ids(fai)

    response = client.post(
        f"{API}/first-articles/{fai['id']}/results/{result_id}/verification",
        headers={"X-Actor": INSPECTOR},
    )

    problem_of(response, 422, "validation_failed")
    after = call(client, "GET", f"/first-articles/{fai['id']}")
    assert unverified_result_ids(after) == [result_id]


def test_a_result_is_verified_only_once(client: TestClient, shop: Shop) -> None:
    """A second verification of the same result is a 409 conflict."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    fai = record_results(client, fai["id"])
    (result_id,) = unverified_result_ids(fai)
    path = f"/first-articles/{fai['id']}/results/{result_id}/verification"
    call(client, "POST", path, actor=CHECKER)

    response = client.post(API + path, headers={"X-Actor": MANAGER})

    body = problem_of(response, 409, "conflict")
    assert body["verified_by"] == CHECKER


def test_a_rejected_fai_is_reworked_and_resubmitted_as_attempt_two(
    client: TestClient, shop: Shop
) -> None:
    """Rejected with a reason, reworked, re-measured and submitted again: attempt 2."""
    fai = create_fai(client, shop)
    fai_id = fai["id"]
    transition(client, fai_id, "start")
    complete_results(client, fai_id)
    to_submitted(client, fai_id)

    missing_comments = transcribe(client, fai_id, decision_body("rejected"))
    problem_of(missing_comments, 422, "validation_failed")
    assert call(client, "GET", f"/first-articles/{fai_id}")["status"] == "submitted"

    rejected = decide(client, fai_id, "rejected", "Balloon 1 requirement transcribed wrongly")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "New part")
    assert rejected["allowed_actions"] == ["rework", "reset", "cancel"]
    assert rejected["decisions"][0]["outcome"] == "rejected"
    assert "Balloon 1 requirement" in rejected["decisions"][0]["comments"]
    assert rejected["decisions"][0]["attempt"] == 1

    assert transition(client, fai_id, "rework")["status"] == "in_progress"
    call(
        client,
        "POST",
        f"/first-articles/{fai_id}/results",
        {
            "results": [
                {
                    "balloon": "1",
                    "measured_at": "2026-11-20T12:00:00+00:00",
                    "source": "device_import",
                    "value": "25.02",
                    "units": "mm",
                }
            ]
        },
        actor=INSPECTOR,
        expect=201,
    )
    resubmitted = to_submitted(client, fai_id)
    assert (resubmitted["status"], resubmitted["submission_attempt"]) == ("submitted", 2)
    balloon_1 = next(line for line in resubmitted["form3"] if line["char_no"] == "1")
    assert [r["superseded"] for r in balloon_1["results"]] == [True, False]

    approved = decide(client, fai_id, "approved")
    assert approved["status"] == "approved"
    assert [(d["attempt"], d["outcome"]) for d in approved["decisions"]] == [
        (1, "rejected"),
        (2, "approved"),
    ]
    assert approved["form1"]["customer_decision"]["attempt"] == 2
    audit = call(client, "GET", f"/first-articles/{fai_id}/audit?limit=200")["items"]
    reject = next(entry for entry in audit if entry["action"] == "fai.reject")
    assert reject["reason"] == "Customer rejected, reference PORTAL-9001"  # no comment text
    assert [e["action"] for e in audit].count("fai.submit") == 2


def test_a_conditional_acceptance_needs_a_reason_and_is_approved_later(
    client: TestClient, shop: Shop
) -> None:
    """conditionally_accepted needs its conditions; a later approval finishes the FAI."""
    fai = create_fai(client, shop)
    fai_id = fai["id"]
    transition(client, fai_id, "start")
    complete_results(client, fai_id)
    to_submitted(client, fai_id)

    no_conditions = transcribe(client, fai_id, decision_body("conditionally_accepted"))
    problem_of(no_conditions, 422, "validation_failed")

    fai = decide(client, fai_id, "conditionally_accepted", "Ship with the C of C of lot 2")
    assert fai["status"] == "conditionally_accepted"
    assert fai["allowed_actions"] == ["approve", "reject", "reset", "cancel"]
    assert fai["decisions"][0]["comments"] == "Ship with the C of C of lot 2"
    assert fai["form1"]["customer_decision"] is None  # fields 24-25 record an approval only

    fai = decide(client, fai_id, "approved")
    assert fai["status"] == "approved"
    assert fai["submission_attempt"] == 1
    assert [d["outcome"] for d in fai["decisions"]] == ["conditionally_accepted", "approved"]
    assert fai["form1"]["customer_decision"]["outcome"] == "approved"


def test_a_customer_outcome_is_not_accepted_as_a_transition(client: TestClient, shop: Shop) -> None:
    """approve through /transitions is refused: customer outcomes are customer decisions."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    complete_results(client, fai["id"])
    to_submitted(client, fai["id"])

    response = client.post(
        f"{API}/first-articles/{fai['id']}/transitions", json={"action": "approve"}
    )

    problem_of(response, 422, "validation_failed")
    assert call(client, "GET", f"/first-articles/{fai['id']}")["status"] == "submitted"


def test_a_customer_decision_before_submission_is_refused(client: TestClient, shop: Shop) -> None:
    """Transcribing an approval on a draft FAI is a 409 and records no decision."""
    fai = create_fai(client, shop)

    response = transcribe(client, fai["id"], decision_body("approved"))

    problem_of(response, 409, "transition_not_allowed")
    after = call(client, "GET", f"/first-articles/{fai['id']}")
    assert (after["status"], after["decisions"]) == ("draft", [])


def test_cancelling_needs_a_reason(client: TestClient, shop: Shop) -> None:
    """cancel without a reason (or a blank one) is a 422 validation_failed; with one it cancels."""
    fai = create_fai(client, shop)
    path = f"{API}/first-articles/{fai['id']}/transitions"

    for body in ({"action": "cancel"}, {"action": "cancel", "reason": "   "}):
        response = client.post(path, json=body)
        problem = problem_of(response, 422, "validation_failed")
        assert problem["field"] == "reason"
        assert call(client, "GET", f"/first-articles/{fai['id']}")["status"] == "draft"

    cancelled = transition(client, fai["id"], "cancel", reason="Work order cancelled by ERP")
    assert (cancelled["status"], cancelled["allowed_actions"]) == ("cancelled", [])
    audit = call(client, "GET", f"/first-articles/{fai['id']}/audit?limit=200")["items"]
    assert audit[-1]["action"] == "fai.cancel"
    assert audit[-1]["reason"] == "Work order cancelled by ERP"


def test_returning_to_work_needs_a_reason(client: TestClient, shop: Shop) -> None:
    """Internal review sends the package back only with a reason."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    complete_results(client, fai["id"])
    transition(client, fai["id"], "request_review")

    response = client.post(
        f"{API}/first-articles/{fai['id']}/transitions", json={"action": "return_to_work"}
    )

    problem_of(response, 422, "validation_failed")
    back = transition(
        client, fai["id"], "return_to_work", actor=MANAGER, reason="Tooling missing on Form 3"
    )
    assert back["status"] == "in_progress"


def test_the_package_is_frozen_while_it_is_reviewed(client: TestClient, shop: Shop) -> None:
    """Results cannot be added once review is requested: 409 conflict, nothing recorded."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    complete_results(client, fai["id"])
    transition(client, fai["id"], "request_review")
    before = call(client, "GET", f"/first-articles/{fai['id']}")

    response = client.post(
        f"{API}/first-articles/{fai['id']}/results",
        json={
            "results": [
                {"balloon": "1", "measured_at": MEASURED_AT, "value": "25.0", "units": "mm"}
            ]
        },
        headers={"X-Actor": INSPECTOR},
    )

    body = problem_of(response, 409, "conflict")
    assert body["current_status"] == "pending_internal_review"
    assert call(client, "GET", f"/first-articles/{fai['id']}")["form3"] == before["form3"]


def test_an_approved_fai_is_superseded_by_a_newer_one_named_by_its_fair(
    client: TestClient, shop: Shop
) -> None:
    """supersede needs a reason and an existing FAIR; it links the newer FAI."""
    old = approved_fai(client, shop)
    newer = create_fai(client, shop, reason="Process change: new heat-treat supplier")
    assert newer["fair_identifier"] == "FAIR-WCH-2026-0002"
    path = f"{API}/first-articles/{old['id']}/transitions"

    unknown = client.post(
        path, json={"action": "supersede", "reason": "Replaced", "superseded_by": "FAIR-NOPE"}
    )
    problem_of(unknown, 404, "not_found")
    itself = client.post(
        path,
        json={
            "action": "supersede",
            "reason": "Replaced",
            "superseded_by": old["fair_identifier"],
        },
    )
    problem_of(itself, 422, "validation_failed")
    no_reason = client.post(
        path, json={"action": "supersede", "superseded_by": newer["fair_identifier"]}
    )
    problem_of(no_reason, 422, "validation_failed")
    assert call(client, "GET", f"/first-articles/{old['id']}")["status"] == "approved"

    superseded = transition(
        client,
        old["id"],
        "supersede",
        reason="Replaced after the supplier change",
        superseded_by=newer["fair_identifier"],
    )

    assert superseded["status"] == "superseded"
    assert superseded["superseded_by_id"] == newer["id"]
    assert superseded["allowed_actions"] == []
    listed = call(client, "GET", f"/first-articles?status=superseded&site_id={shop.site_id}")
    assert [item["id"] for item in listed["items"]] == [old["id"]]


def test_field_19_shows_a_nonconformance_until_it_is_cleared(
    client: TestClient, shop: Shop
) -> None:
    """An out-of-tolerance result sets field 19 until its NC is closed and the part re-measured."""
    fai = create_fai(client, shop)
    fai_id = fai["id"]
    transition(client, fai_id, "start")
    record_results(client, fai_id, hole="25.06")
    fai = call(client, "GET", f"/first-articles/{fai_id}")
    for result_id in unverified_result_ids(fai):
        call(
            client,
            "POST",
            f"/first-articles/{fai_id}/results/{result_id}/verification",
            actor=CHECKER,
        )
    fai = call(client, "GET", f"/first-articles/{fai_id}")
    assert fai["form1"]["documented_nonconformances"] is True
    assert [f["rule"] for f in fai["findings"]] == ["RESULT_NONCONFORMING_WITHOUT_NC"]

    fai = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/nonconformances",
        {"number": "NC-30911", "title": "Balloon 1 oversize", "balloons": ["1"]},
        expect=201,
    )
    nc_id = fai["nonconformances"][0]["id"]
    assert next(line for line in fai["form3"] if line["char_no"] == "1")[
        "nonconformance_numbers"
    ] == ["NC-30911"]
    assert [f["rule"] for f in fai["findings"]] == ["NC_OPEN"]

    # Only the QMS says it is closed: a person's PATCH of a QMS document is refused.
    refused = client.patch(
        f"{API}/first-articles/{fai_id}/nonconformances/{nc_id}",
        json={"status": "closed", "disposition": "rework"},
        headers={"X-Actor": ENGINEER},
    )
    problem_of(refused, 409, "nonconformance_owned_by_qms")
    call(
        client,
        "POST",
        "/mirror/nonconformances",
        {
            "external_id": "QMS-30911",
            "source_version": 3,
            "site": "WCH",
            "fair_identifier": fai["fair_identifier"],
            "number": "NC-30911",
            "status": "closed",
            "disposition": "rework",
            "balloons": ["1"],
        },
        actor="qms.bridge",
        expect=201,
    )
    fai = call(client, "GET", f"/first-articles/{fai_id}")
    assert fai["nonconformances"][0]["id"] == nc_id  # the QMS adopted the link
    assert fai["form1"]["documented_nonconformances"] is True  # still measured oversize
    assert fai["ready"] is True

    fai = call(
        client,
        "POST",
        f"/first-articles/{fai_id}/results",
        {
            "results": [
                {
                    "balloon": "1",
                    "measured_at": "2026-11-20T12:00:00+00:00",
                    "source": "device_import",
                    "value": "25.01",
                    "units": "mm",
                }
            ]
        },
        actor=INSPECTOR,
        expect=201,
    )
    assert fai["form1"]["documented_nonconformances"] is False
    assert fai["findings"] == []


def test_review_and_internal_approval_are_never_bare_transitions(
    client: TestClient, shop: Shop
) -> None:
    """request_review and approve_internally through /transitions answer 409
    signature_required: only a re-authenticated signature moves the FAI (R10)."""
    fai = create_fai(client, shop)
    transition(client, fai["id"], "start")
    for action in ("request_review", "approve_internally"):
        response = client.post(
            f"{API}/first-articles/{fai['id']}/transitions", json={"action": action}
        )
        assert problem_of(response, 409, "signature_required")["meaning"] == SIGNED[action]
