"""Holds and customer decisions through the pages: an override asked, refused to the
requester as second signer, signed by another person, revoked; a customer decision recorded."""

from __future__ import annotations

import re

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in

from firstarticle import bootstrap
from firstarticle.domain.access import Role
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import ServiceContext, first_articles, holds


def test_an_override_is_requested_signed_by_another_person_and_revoked(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    a_person(application, "m.keller")
    a_person(application, "p.adams", Role.PROGRAM_MANAGER)
    shop = plant.a_plant(ctx)
    (hold,) = holds.list_holds(ctx, site_id=shop.site.id, status=HoldStatus.ACTIVE).items
    csrf = sign_in(web, "m.keller")
    form = {"csrf_token": csrf, "reason": "AOG", "serial_numbers": "SN0001"}
    too_long = web.post(
        f"/web/holds/{hold.id}/overrides", data={**form, "expires_at": "2027-06-01T00:00"}
    )
    assert too_long.status_code == 422
    assert 'id="override-expires_at-error"' in too_long.text
    assert 'value="SN0001"' in too_long.text
    asked = web.post(
        f"/web/holds/{hold.id}/overrides", data={**form, "expires_at": "2026-11-21T12:00"}
    )
    assert "The override is requested" in asked.text
    (override,) = holds.get_hold(ctx, hold.id).overrides
    own = web.post(
        f"/web/holds/{hold.id}/overrides/{override.id}/signature",
        data={"csrf_token": csrf, "password": plant.PASSWORD},
    )
    assert own.status_code == 422, "the requester cannot give the second signature"
    web.post("/web/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(web, "p.adams")
    signed = web.post(
        f"/web/holds/{hold.id}/overrides/{override.id}/signature",
        data={"csrf_token": csrf, "password": plant.PASSWORD},
    )
    assert "The override is signed" in signed.text
    assert holds.get_hold(ctx, hold.id).overrides[0].second_signer == "p.adams"
    web.post("/web/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(web, "m.keller")
    revoked = web.post(
        f"/web/holds/{hold.id}/overrides/{override.id}/revocation",
        data={"csrf_token": csrf, "reason": "Shipment cancelled"},
    )
    assert "The override is revoked" in revoked.text
    assert holds.get_hold(ctx, hold.id).overrides[0].revoked_by == "m.keller"


def test_a_customer_decision_is_recorded_from_the_fai_page(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    fai_id = plant.an_fai(ctx, plant.a_plant(ctx)).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    plant.complete_results(ctx, fai_id)
    plant.sign(ctx, fai_id, SignatureMeaning.VERIFIED, "q.verifier")
    plant.sign(ctx, fai_id, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(plant.as_(ctx, "q.manager"), fai_id, FaiAction.SUBMIT)
    a_person(application, "j.ortiz")
    csrf = sign_in(web, "j.ortiz")
    page = web.get(f"/web/fai/{fai_id}").text
    assert re.search(r'href="#decision-heading">Approve: record', page)
    decided = web.post(
        f"/web/fai/{fai_id}/customer-decisions",
        data={
            "csrf_token": csrf,
            "outcome": "approved",
            "decided_by": "J. Buyer (Aero Prime)",
            "decided_at": "2026-11-20T13:00",
            "reference": "PORTAL-9001",
        },
    )
    assert "The customer&#39;s decision is recorded." in decided.text
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.APPROVED
