"""Re-FAI triggers from the web: the open evaluations, the evidence, and the team's decision
signed with a reason (refused without one, keeping what was typed)."""

from __future__ import annotations

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in, token_in

from firstarticle import bootstrap
from firstarticle.domain.access import Role
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.triggers import EventNature
from firstarticle.services import ServiceContext, holds, triggers


def _flood(ctx: ServiceContext) -> str:
    shop = plant.a_plant(ctx)
    plant.approve(ctx, plant.an_fai(ctx, shop).fai.id)
    return triggers.record_event(
        ctx,
        site_id=shop.site.id,
        part_revision_id=shop.revision.id,
        nature=EventNature.NATURAL,
        description="Flood in the machining hall; spindles re-qualified",
        occurred_at=ctx.clock.now(),
        customer_id=shop.customer.id,
    ).trigger.id


def test_an_open_evaluation_is_listed_and_decided_with_a_reason(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "j.ortiz")
    trigger_id = _flood(ctx)
    sign_in(web, "j.ortiz")
    listed = web.get("/web/triggers").text
    assert f"/web/triggers/{trigger_id}" in listed
    page = web.get(f"/web/triggers/{trigger_id}").text
    assert "Flood in the machining hall" in page
    assert "holding production" in page
    refused = web.post(
        f"/web/triggers/{trigger_id}/decision",
        data={"csrf_token": token_in(page), "outcome": "none", "reason": ""},
    )
    assert refused.status_code == 422
    assert 'id="decision-reason-error"' in refused.text
    decided = web.post(
        f"/web/triggers/{trigger_id}/decision",
        data={
            "csrf_token": token_in(page),
            "outcome": "none",
            "reason": "Spindles re-qualified; no characteristic affected.",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    shown = web.get(decided.headers["location"]).text
    assert "The evaluation is decided" in shown
    view = triggers.get_trigger(ctx, trigger_id)
    assert view.evaluation.decided_by == "j.ortiz"
    assert holds.get_hold(ctx, view.evaluation.hold_id or "").status is HoldStatus.RELEASED
    assert f"/web/triggers/{trigger_id}" not in web.get("/web/triggers").text


def test_an_operator_sees_the_evaluation_but_may_not_decide(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "op.one", Role.OPERATOR)
    trigger_id = _flood(ctx)
    csrf = sign_in(web, "op.one")
    page = web.get(f"/web/triggers/{trigger_id}").text
    assert "Sign the decision" not in page
    refused = web.post(
        f"/web/triggers/{trigger_id}/decision",
        data={"csrf_token": csrf, "outcome": "none", "reason": "Not mine to say."},
    )
    assert refused.status_code == 403
    assert triggers.get_trigger(ctx, trigger_id).evaluation.outcome is None


def test_the_inbox_lists_the_open_evaluations_of_my_team_only(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    """A shipping clerk (on no team) finds no evaluation in the task inbox; a quality
    engineer (on the default team) finds the flood's there, until it is decided."""
    a_person(application, "j.ortiz")
    a_person(application, "s.clerk", Role.SHIPPING)
    trigger_id = _flood(ctx)
    sign_in(web, "s.clerk")
    inbox = web.get("/web/tasks")
    assert inbox.status_code == 200
    assert f'href="/web/triggers/{trigger_id}"' not in inbox.text
    assert "No open evaluation names a role you hold." in inbox.text
    web.post("/web/sign-out", data={"csrf_token": token_in(inbox.text)})
    sign_in(web, "j.ortiz")
    assert f'href="/web/triggers/{trigger_id}"' in web.get("/web/tasks").text
    triggers.decide_evaluation(
        ctx, trigger_id, outcome=triggers.EvaluationOutcome.NONE, reason="Spindles re-qualified"
    )
    assert f'href="/web/triggers/{trigger_id}"' not in web.get("/web/tasks").text


def test_a_partial_for_an_event_takes_the_balloons_typed_and_keeps_them_when_refused(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    """An unknown balloon is refused next to its field, with what was typed kept; balloon 1
    opens the partial FAI with it alone."""
    a_person(application, "j.ortiz")
    trigger_id = _flood(ctx)
    sign_in(web, "j.ortiz")
    page = web.get(f"/web/triggers/{trigger_id}").text
    form = {"csrf_token": token_in(page), "outcome": "partial", "reason": "Spindle moved"}
    refused = web.post(f"/web/triggers/{trigger_id}/decision", data={**form, "balloons": "1, 77"})
    assert refused.status_code == 422
    assert 'id="decision-balloons-error"' in refused.text
    assert 'value="1, 77"' in refused.text
    decided = web.post(f"/web/triggers/{trigger_id}/decision", data={**form, "balloons": "1"})
    assert decided.status_code == 200
    fai_id = triggers.get_trigger(ctx, trigger_id).evaluation.first_article_id
    assert fai_id is not None
