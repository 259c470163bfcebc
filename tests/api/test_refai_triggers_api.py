"""Re-FAI triggers over HTTP: list, read, record an event, decide; bad input is a problem+json
with a stable code and writes nothing."""

from __future__ import annotations

import plant
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_problems import writes_nothing

from firstarticle import bootstrap
from firstarticle.services import ServiceContext
from firstarticle.storage import orm

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
WHEN = "2026-11-18T06:30:00Z"


@pytest.fixture
def world(client: TestClient, application: bootstrap.Application) -> plant.Plant:
    """A plant whose rev C FAI the customer approved."""
    ctx: ServiceContext = application.context("q.engineer")
    built = plant.a_plant(ctx)
    plant.approve(ctx, plant.an_fai(ctx, built).fai.id)
    return built


def an_event(world: plant.Plant, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "site_id": world.site.id,
        "part_revision_id": world.revision.id,
        "customer_id": world.customer.id,
        "nature": "man_made",
        "description": "Coolant contamination in cell 4",
        "occurred_at": WHEN,
    }
    body.update(changes)
    return body


def problem_code(response) -> str:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    return str(response.json()["code"])


def test_an_event_raises_a_trigger_listed_with_its_open_evaluation(client, world):
    """201 with the trigger and its evaluation; recorded again, the same trigger answers."""
    first = client.post(f"{API}/refai-events", json=an_event(world))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["kind"] == "event"
    assert body["evaluation"]["status"] == "open"
    assert body["evaluation"]["hold_id"]
    again = client.post(f"{API}/refai-events", json=an_event(world))
    assert again.json()["id"] == body["id"]
    listed = client.get(f"{API}/refai-triggers", params={"status": "open"}).json()
    assert [t["id"] for t in listed["items"]] == [body["id"]]
    assert (
        client.get(f"{API}/refai-triggers/{body['id']}").json()["what"].startswith("man-made event")
    )


def test_a_decision_releases_the_hold_and_a_second_is_refused(client, world):
    """'none' with a reason: decided, hold released; again: 409 evaluation_decided."""
    trigger = client.post(f"{API}/refai-events", json=an_event(world)).json()
    decision = {"outcome": "none", "reason": "Coolant replaced; no product affected."}
    decided = client.post(f"{API}/refai-triggers/{trigger['id']}/decision", json=decision)
    assert decided.status_code == 200, decided.text
    assert decided.json()["evaluation"]["outcome"] == "none"
    hold = client.get(f"{API}/holds/{trigger['evaluation']['hold_id']}").json()
    assert hold["status"] == "released"
    again = client.post(f"{API}/refai-triggers/{trigger['id']}/decision", json=decision)
    assert again.status_code == 409
    assert problem_code(again) == "evaluation_decided"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"occurred_at": "2026-11-18T06:30:00"}, 422, "invalid_request"),  # no time zone
        ({"nature": "alien"}, 422, "invalid_request"),
        ({"description": ""}, 422, "invalid_request"),
        ({"site_id": "no-such-site"}, 404, "not_found"),
        ({"part_revision_id": "no-such-revision"}, 404, "not_found"),
        ({"customer_id": "no-such-customer"}, 404, "not_found"),
    ],
)
def test_a_bad_event_is_refused_with_a_stable_code_and_writes_nothing(
    client, world, connection: sa.Connection, changes, status, code
):
    """Never a 500, never a partial write."""
    with writes_nothing(connection):
        response = client.post(f"{API}/refai-events", json=an_event(world, **changes))
    assert response.status_code == status, response.text
    assert problem_code(response) == code


@pytest.mark.parametrize(
    ("decision", "status", "code"),
    [
        ({"outcome": "maybe", "reason": "x"}, 422, "invalid_request"),
        ({"outcome": "none", "reason": ""}, 422, "invalid_request"),
        ({"outcome": "full", "reason": "New FAI.", "work_order_id": "nope"}, 404, "not_found"),
    ],
)
def test_a_bad_decision_is_refused_with_a_stable_code_and_writes_nothing(
    client, world, connection: sa.Connection, decision, status, code
):
    """The evaluation stays open and nothing is written."""
    trigger = client.post(f"{API}/refai-events", json=an_event(world)).json()
    with writes_nothing(connection):
        response = client.post(f"{API}/refai-triggers/{trigger['id']}/decision", json=decision)
    assert response.status_code == status, response.text
    assert problem_code(response) == code


def test_partial_without_a_baseline_is_refused_as_baseline_missing(client, application, connection):
    """An event on a configuration nobody approved has no baseline for a partial FAI."""
    unapproved = plant.a_plant(application.context("q.engineer"))
    body = an_event(unapproved)
    trigger = client.post(f"{API}/refai-events", json=body).json()
    assert trigger["baseline_first_article_id"] is None
    with writes_nothing(connection):
        response = client.post(
            f"{API}/refai-triggers/{trigger['id']}/decision",
            json={"outcome": "partial", "reason": "Re-check the bore."},
        )
    assert response.status_code == 422
    assert problem_code(response) == "baseline_missing"


def test_a_partial_decision_opens_the_partial_fai_on_the_baseline(client, world):
    """An event names no characteristic: a partial needs the team's balloons (refused
    without, the evaluation stays open). The partial FAI opens on the configuration's open
    work order with them, naming the approved FAI as its baseline and the event as its
    reason."""
    trigger = client.post(f"{API}/refai-events", json=an_event(world)).json()
    path = f"{API}/refai-triggers/{trigger['id']}/decision"
    empty = client.post(path, json={"outcome": "partial", "reason": "Bore may be affected."})
    assert (empty.status_code, problem_code(empty)) == (422, "nothing_to_reinspect")
    response = client.post(
        path,
        json={"outcome": "partial", "reason": "Bore may be affected.", "balloons": ["1"]},
    )
    assert response.status_code == 200, response.text
    fai_id = response.json()["evaluation"]["first_article_id"]
    fai = client.get(f"{API}/first-articles/{fai_id}").json()
    assert fai["refai_trigger"] == "event"
    form1 = fai["form1"]
    assert form1["scope"] == "partial"
    assert "C" in form1["baseline"]
    assert form1["reason"].startswith("Natural or man-made event: man-made event")


def test_an_unknown_trigger_is_not_found(client, world):
    """404 not_found for reading and for deciding."""
    assert problem_code(client.get(f"{API}/refai-triggers/nope")) == "not_found"
    response = client.post(
        f"{API}/refai-triggers/nope/decision", json={"outcome": "none", "reason": "x"}
    )
    assert response.status_code == 404
    assert problem_code(response) == "not_found"


def test_the_trigger_tables_exist_for_the_checks_above(connection):
    """The tables the writes_nothing checks count are migrated (guards the guard)."""
    names = set(sa.inspect(connection).get_table_names())
    assert {orm.refai_triggers.name, orm.refai_evaluations.name} <= names


def test_a_customers_re_fai_rules_are_set_and_bounded(client, world):
    """Twelve months is taken and shown on the customer; thirty is a 422 problem; a rule
    without a reason is refused too."""
    path = f"{API}/customers/{world.customer.id}/refai-rules"
    taken = client.put(path, json={"lapse_months": 12, "reason": "Contract AC-7 clause 4.2"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["refai_lapse_months"] == 12
    assert client.get(f"{API}/customers/{world.customer.id}").json()["refai_lapse_months"] == 12
    too_long = client.put(path, json={"lapse_months": 30, "reason": "Longer"})
    assert (too_long.status_code, problem_code(too_long)) == (422, "invalid_request")
    unexplained = client.put(path, json={"lapse_months": 6})
    assert unexplained.status_code == 422
    back = client.put(path, json={"lapse_months": None, "reason": "Contract AC-8 dropped it"})
    assert back.json()["refai_lapse_months"] is None
