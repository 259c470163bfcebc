"""Holds and customer decisions through the pages: an override asked, refused to the
requester as second signer, signed by another person, revoked; a customer decision
transcribed with its evidence and verified by a second person."""

from __future__ import annotations

import re

import plant
from fastapi.testclient import TestClient
from webtools import a_person, sign_in

from firstarticle import bootstrap
from firstarticle.domain import channels as ch
from firstarticle.domain.access import Role
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.model import FormRevision
from firstarticle.services import ServiceContext, channels, decisions, first_articles, holds


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


def test_a_customer_decision_is_transcribed_with_evidence_and_verified_by_another_person(
    web: TestClient, application: bootstrap.Application, ctx: ServiceContext
) -> None:
    """The engineer transcribes the portal's approval with its PDF; their own verification
    is refused; the quality manager verifies it and the FAI is approved."""
    shop = plant.a_plant(ctx)
    channels.set_channel(
        ctx,
        shop.customer.id,
        authority=ch.Authority.PORTAL,
        portal_name="Net-Inspect",
        buy_off=ch.BuyOffMode.ONE_STEP,
        form_revision=FormRevision.C,
        ships_while_conditional=False,
        people=[ch.CustomerPerson("AP-Q-1042", "Dana Whitfield")],
    )
    fai_id = plant.an_fai(ctx, shop).fai.id
    plant.submit(ctx, fai_id)
    a_person(application, "j.ortiz")
    a_person(application, "m.keller")
    csrf = sign_in(web, "j.ortiz")
    page = web.get(f"/web/fai/{fai_id}").text
    assert re.search(r'href="#decision-heading">Approve: record', page)
    assert 'value="AP-Q-1042"' in page
    form = {
        "csrf_token": csrf,
        "outcome": "approved",
        "customer_person_id": "AP-Q-1042",
        "decided_at": "2026-11-20T07:00",
        "utc_offset": "-06:00",
        "reference": "NI-448812",
    }
    without_evidence = web.post(f"/web/fai/{fai_id}/customer-decisions", data=form)
    assert without_evidence.status_code == 422
    assert 'id="decision-evidence-error"' in without_evidence.text
    transcribed = web.post(
        f"/web/fai/{fai_id}/customer-decisions",
        data=form,
        files={"evidence": ("approval.pdf", b"%PDF-1.7 approved", "application/pdf")},
    )
    assert "a second person verifies it" in transcribed.text
    (view,) = decisions.decisions_of(ctx, fai_id)
    assert view.decision.decided_at.isoformat() == "2026-11-20T07:00:00-06:00"
    verify = f"/web/fai/{fai_id}/customer-decisions/{view.decision.id}/verification"
    assert verify in transcribed.text
    own = web.post(verify, data={"csrf_token": csrf})
    assert own.status_code == 409
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.SUBMITTED
    web.post("/web/sign-out", data={"csrf_token": csrf})
    csrf = sign_in(web, "m.keller")
    verified = web.post(verify, data={"csrf_token": csrf})
    assert "The transcription is verified and in effect." in verified.text
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.APPROVED
