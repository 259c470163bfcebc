"""Review tasks over HTTP with real bearer tokens: a customer's template set by an
administrator, the role and personal inboxes, reassignment, completion, and the refusals
with their stable codes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from plant import a_plant, an_fai, complete_results, sign

from firstarticle.domain.access import AuthorizationKind, Role
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import ServiceContext, first_articles, identity

API = "/api/v1"
TEMPLATE = {
    "stages": [
        {
            "key": "quality-review",
            "name": "Quality review",
            "role": "quality",
            "due_hours": 24,
            "checklist": [{"key": "traceability", "text": "Form 1 is traceable"}],
        },
        {"key": "engineering-review", "role": "engineering", "signature_required": True},
    ]
}
PEOPLE = {
    "admin.a": [Role.ADMINISTRATOR],
    "quality.a": [Role.QUALITY_ENGINEER],
    "quality.b": [Role.QUALITY_ENGINEER],
    "design.a": [Role.DESIGN_ENGINEER],
    "operator.a": [Role.OPERATOR],
}


@pytest.fixture
def shop(ctx: ServiceContext, authed_client: TestClient) -> dict[str, Any]:
    """A plant, its people with tokens, the customer's template set over HTTP, and an FAI
    that has just entered internal review."""
    plant = a_plant(ctx)
    tokens = {}
    for username, roles in PEOPLE.items():
        identity.create_user(
            ctx, username=username, printed_name=username.title(), roles=roles,
            sites=[plant.site.code], citizenships=["US"],
        )  # fmt: skip
        identity.add_authorization(ctx, username, kind=AuthorizationKind.US_PERSON, reason="US")
        tokens[username] = identity.create_token(ctx, username, name="test").secret
    put = authed_client.put(
        f"{API}/customers/{plant.customer.id}/review-template",
        json=TEMPLATE,
        headers=_bearer(tokens["admin.a"]),
    )
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    complete_results(ctx, fai_id)
    sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    return {"tokens": tokens, "fai_id": fai_id, "plant": plant}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _call(client: TestClient, shop: dict[str, Any], who: str, method: str, path: str, **kw: Any):
    return client.request(method, API + path, headers=_bearer(shop["tokens"][who]), **kw)


def _inbox(client, shop, who: str, **params: Any) -> list[dict[str, Any]]:
    response = _call(client, shop, who, "GET", "/tasks", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def _code(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["code"]


def test_the_role_inbox_shows_the_open_stage_and_the_personal_inbox_what_is_assigned(
    authed_client, shop
):
    """quality sees the quality task in its role inbox; 'mine' is empty until reassigned."""
    (task,) = _inbox(authed_client, shop, "quality.a", role="quality")
    assert (task["stage"], task["fair_identifier"].startswith("FAIR-")) == ("quality-review", True)
    assert task["checklist"] == [
        {"key": "traceability", "text": "Form 1 is traceable", "answer": None, "comment": None}
    ]
    assert _inbox(authed_client, shop, "quality.b", mine="true") == []
    moved = _call(
        authed_client,
        shop,
        "quality.a",
        "POST",
        f"/tasks/{task['id']}/reassignment",
        json={"assignee": "quality.b", "reason": "Jorge is at the customer"},
    )
    assert moved.status_code == 200, moved.text
    assert [t["id"] for t in _inbox(authed_client, shop, "quality.b", mine="true")] == [task["id"]]
    assert moved.json()["notes"][-1]["kind"] == "reassignment"


def test_completing_opens_the_next_stage_and_refusals_carry_stable_codes(authed_client, shop):
    """An operator is refused (task_not_permitted), an unknown item is refused
    (checklist_item_unknown), a missing answer too (checklist_incomplete); quality completes;
    the signed engineering stage is refused without a signature (signature_required)."""
    (task,) = _inbox(authed_client, shop, "quality.a", role="quality")
    path = f"/tasks/{task['id']}/completion"
    answer = {"traceability": {"answer": "yes", "comment": "traveler checked"}}
    refused = _call(authed_client, shop, "operator.a", "POST", path, json={"answers": answer})
    assert _code(refused, 403) == "task_not_permitted"
    unknown = {"answers": {**answer, "colour": {"answer": "na"}}}
    assert _code(_call(authed_client, shop, "quality.a", "POST", path, json=unknown), 422) == (
        "checklist_item_unknown"
    )
    empty = _call(authed_client, shop, "quality.a", "POST", path, json={"answers": {}})
    assert _code(empty, 422) == "checklist_incomplete"
    done = _call(authed_client, shop, "quality.a", "POST", path, json={"answers": answer})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["checklist"][0]["answer"] == "yes"
    again = _call(authed_client, shop, "quality.a", "POST", path, json={"answers": answer})
    assert _code(again, 409) == "task_closed"
    (engineering,) = _inbox(authed_client, shop, "design.a", first_article_id=shop["fai_id"])
    assert engineering["signature_required"] is True
    unsigned = _call(
        authed_client, shop, "design.a", "POST", f"/tasks/{engineering['id']}/completion", json={}
    )
    assert _code(unsigned, 409) == "signature_required"


def test_the_guarded_transition_is_refused_with_the_findings_naming_the_task(authed_client, shop):
    """Field 22 cannot be reached while the quality stage is open: the readiness endpoint
    names the task."""
    (task,) = _inbox(authed_client, shop, "quality.a", role="quality")
    readiness = _call(
        authed_client, shop, "quality.a", "GET", f"/first-articles/{shop['fai_id']}/readiness"
    )
    assert readiness.status_code == 200, readiness.text
    findings = readiness.json()["findings"]
    assert {f["rule"] for f in findings} == {"REVIEW_TASK_OPEN", "REVIEW_CHECKLIST_UNANSWERED"}
    assert {r["id"] for f in findings for r in f["records"]} == {task["id"]}


def test_only_customer_managers_set_templates_and_site_managers_set_leads(authed_client, shop):
    """A quality engineer may read the template but not set it; an administrator names the
    quality lead, who must hold the role."""
    customer = shop["plant"].customer.id
    path = f"/customers/{customer}/review-template"
    assert _code(_call(authed_client, shop, "quality.a", "PUT", path, json=TEMPLATE), 403) == (
        "forbidden"
    )
    shown = _call(authed_client, shop, "quality.a", "GET", path).json()
    assert (shown["version"], shown["is_default"]) == (1, False)
    site = shop["plant"].site.id
    wrong = _call(
        authed_client, shop, "admin.a", "PUT", f"/sites/{site}/role-leads/quality",
        json={"username": "operator.a"},
    )  # fmt: skip
    assert _code(wrong, 422) == "validation_failed"
    right = _call(
        authed_client, shop, "admin.a", "PUT", f"/sites/{site}/role-leads/quality",
        json={"username": "quality.b"},
    )  # fmt: skip
    assert right.json() == {"quality": "quality.b"}
    assert _call(authed_client, shop, "operator.a", "GET", f"/sites/{site}/role-leads").json() == {
        "quality": "quality.b"
    }


def test_a_caller_of_another_site_neither_lists_nor_reads_the_tasks(ctx, authed_client, shop):
    """A quality engineer of site B gets an empty inbox and 404 on the task."""
    other = a_plant(ctx, code="KC", part_number="9B0001-1")
    identity.create_user(
        ctx, username="quality.kc", printed_name="Quality KC", roles=[Role.QUALITY_ENGINEER],
        sites=[other.site.code],
    )  # fmt: skip
    shop["tokens"]["quality.kc"] = identity.create_token(ctx, "quality.kc", name="t").secret
    (task,) = _inbox(authed_client, shop, "quality.a", role="quality")
    assert _inbox(authed_client, shop, "quality.kc", role="quality") == []
    assert _code(_call(authed_client, shop, "quality.kc", "GET", f"/tasks/{task['id']}"), 404) == (
        "not_found"
    )
