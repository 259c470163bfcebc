"""Customer channels and decisions on a real database: configuration versions, the three
ways in and their refusals (nothing written), verification by a second person, conditions,
resets, delegated buy-off and first-pass yield."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from plant import BUYER, a_plant, an_fai, as_, decide, qms_channel, sign, submit

from firstarticle.domain import channels as ch
from firstarticle.domain.channels import ChannelPathNotAllowedError, UnknownCustomerPersonError
from firstarticle.domain.decisions import (
    DecisionStatus,
    ItemComment,
    Outcome,
    RequestedAction,
    SelfVerificationError,
)
from firstarticle.domain.errors import TransitionNotAllowedError, ValidationError
from firstarticle.domain.holds import HoldKind, HoldSource, HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.model import FormRevision
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services import (
    channels,
    decisions,
    fai_record,
    fai_yield,
    first_articles,
    holds,
    signatures,
)
from firstarticle.storage import orm

DANA = ch.CustomerPerson("AP-Q-1042", "Dana Whitfield", "d.whitfield@aeroprime.example")
CENTRAL = timezone(timedelta(hours=-6))
PDF = b"%PDF-1.7 portal approval NI-448812"


def portal_channel(ctx, customer_id, **overrides):
    values = {
        "authority": ch.Authority.PORTAL,
        "portal_name": "Net-Inspect",
        "buy_off": ch.BuyOffMode.ONE_STEP,
        "form_revision": FormRevision.C,
        "ships_while_conditional": False,
        "people": [DANA],
    }
    values.update(overrides)
    return channels.set_channel(ctx, customer_id, **values)


def given(outcome=Outcome.APPROVED, person="AP-Q-1042", **more):
    values = {
        "outcome": outcome,
        "customer_person_id": person,
        "decided_at": datetime(2026, 11, 20, 7, 30, tzinfo=CENTRAL),
        "reference": "NI-448812",
    }
    values.update(more)
    return decisions.DecisionInput(**values)


def transcribe(ctx, fai_id, decision=None, by="j.ortiz"):
    return decisions.transcribe_file(
        as_(ctx, by),
        fai_id,
        decision or given(),
        file_name="approval.pdf",
        media_type="application/pdf",
        content=PDF,
    )


def rows(ctx, table) -> int:
    with ctx.uow_factory() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(table))  # type: ignore[attr-defined]


def actions(ctx, fai_id) -> list[str]:
    return [e["action"] for e in first_articles.audit_trail(ctx, fai_id)]


def shipment_holds(ctx, plant, status=HoldStatus.ACTIVE):
    return [
        h
        for h in holds.list_holds(ctx, site_id=plant.site.id, status=status).items
        if h.source is HoldSource.FAI_REQUIRED
    ]


def submitted_portal_fai(ctx, **channel):
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id, **channel)
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    return plant, fai_id


# --- configuration --------------------------------------------------------------------------


def test_every_channel_change_is_a_new_audited_version(ctx):
    """Versions 1 and 2 both stay; the customer's own fields follow the latest."""
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id, form_revision=FormRevision.B)
    view = portal_channel(
        ctx,
        plant.customer.code,
        authority=ch.Authority.CUSTOMER_QMS,
        portal_name=None,
        ships_while_conditional=True,
    )
    assert [v.version for v in view.versions] == [1, 2]
    shown = channels.show_channel(ctx, plant.customer.id)
    assert shown.versions[0].authority is ch.Authority.PORTAL
    assert shown.versions[0].form_revision is FormRevision.B
    assert shown.current.version == 2
    assert shown.customer.form_revision is FormRevision.C
    assert shown.customer.ships_on_conditional_acceptance is True
    assert shown.customer.channel.value == "qms"
    with ctx.uow_factory() as uow:
        trail = uow.audit.for_record("customer", plant.customer.id)
    configured = [e for e in trail if e["action"] == "customer.channel_configured"]
    assert [e["changes"]["version"][1] for e in configured] == [1, 2]


def test_a_program_has_its_own_configuration_and_falls_back_to_the_customers(ctx):
    """A program's configuration applies to its work orders; others read the customer's."""
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id)
    portal_channel(ctx, plant.customer.id, program="F-35", buy_off=ch.BuyOffMode.DELEGATED)
    assert channels.show_channel(ctx, plant.customer.id, "F-35").current.program == "F-35"
    assert channels.show_channel(ctx, plant.customer.id, "OTHER").current.program == ""
    assert channels.show_channel(ctx, plant.customer.id).current.buy_off.value == "one_step"


def test_the_fai_keeps_the_version_it_was_submitted_under(ctx):
    """A person removed after submission may still decide on what was submitted before."""
    plant, fai_id = submitted_portal_fai(ctx)
    other = ch.CustomerPerson("AP-Q-2000", "Someone Else")
    portal_channel(ctx, plant.customer.id, people=[other])
    view = transcribe(ctx, fai_id)
    assert view.decision.channel_version == 1
    assert view.decision.decided_by == "Dana Whitfield"


# --- transcription ---------------------------------------------------------------------------


def test_a_transcription_takes_effect_only_when_a_second_person_verifies_it(ctx):
    """Pending, it moves nothing; verified by another person, it approves and releases."""
    plant, fai_id = submitted_portal_fai(ctx)
    view = transcribe(ctx, fai_id)
    assert view.decision.status is DecisionStatus.PENDING_VERIFICATION
    assert view.evidence is not None
    assert len(view.evidence.sha256) == 64
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.SUBMITTED
    assert len(shipment_holds(ctx, plant)) == 1

    decisions.verify(as_(ctx, "m.keller"), fai_id, view.decision.id)

    detail = first_articles.get_first_article(ctx, fai_id)
    assert detail.fai.status is FaiStatus.APPROVED
    assert detail.form1.customer_decision.decided_by == "Dana Whitfield"
    assert shipment_holds(ctx, plant) == []
    (stored,) = decisions.decisions_of(ctx, fai_id)
    assert (stored.decision.status, stored.decision.verified_by) == ("in_effect", "m.keller")
    assert stored.decision.decided_at == datetime(2026, 11, 20, 7, 30, tzinfo=CENTRAL)
    assert stored.decision.decided_at.utcoffset() == timedelta(hours=-6)
    assert stored.decision.recorded_at == ctx.clock.now()
    assert decisions.evidence_of(ctx, fai_id, view.evidence.id).content == PDF


def test_the_decision_event_carries_the_contracts_keys(ctx, monkeypatch):
    """fai.customer_decision_recorded, as services.record receives it: identifiers,
    outcome, path; never comments."""
    _, fai_id = submitted_portal_fai(ctx)
    recorded: list = []
    original = fai_record.record

    def capture(uow, ctx, events):
        recorded.extend(events)
        original(uow, ctx, events)

    monkeypatch.setattr(fai_record, "record", capture)
    rejection = given(
        Outcome.REJECTED,
        comments=[ItemComment(3, "9", "SENTINEL-COMMENT tolerance")],
        requested_action=RequestedAction.REWORK,
    )
    view = transcribe(ctx, fai_id, rejection)
    decisions.verify(as_(ctx, "m.keller"), fai_id, view.decision.id)
    (event,) = [e for e in recorded if e.action == "fai.customer_decision_recorded"]
    assert (event.record_type, event.record_id) == ("first_article", fai_id)
    assert event.changes["customer_decision"] == (
        None,
        {
            "outcome": "rejected",
            "attempt": 1,
            "requested_action": "rework",
            "forms_commented": [3],
            "channel": "portal",
            "path": "transcription",
            "reference": "NI-448812",
            "decision_id": view.decision.id,
        },
    )
    assert "SENTINEL-COMMENT" not in repr(recorded)


def test_the_author_cannot_verify_their_own_transcription_and_nothing_changes(ctx):
    """Self-verification is refused; the FAI stays submitted and the decision pending."""
    _, fai_id = submitted_portal_fai(ctx)
    view = transcribe(ctx, fai_id)
    before = actions(ctx, fai_id)
    with pytest.raises(SelfVerificationError):
        decisions.verify(as_(ctx, "j.ortiz"), fai_id, view.decision.id)
    (stored,) = decisions.decisions_of(ctx, fai_id)
    assert stored.decision.status is DecisionStatus.PENDING_VERIFICATION
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.SUBMITTED
    assert actions(ctx, fai_id) == before


def test_a_verifier_refuses_a_transcription_that_does_not_match_its_evidence(ctx):
    """Refused, it never takes effect; a corrected transcription is a new record."""
    _, fai_id = submitted_portal_fai(ctx)
    view = transcribe(ctx, fai_id)
    decisions.refuse(as_(ctx, "m.keller"), fai_id, view.decision.id, "The PDF is a rejection")
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.SUBMITTED
    again = transcribe(ctx, fai_id)
    assert again.decision.id != view.decision.id
    statuses = [v.decision.status for v in decisions.decisions_of(ctx, fai_id)]
    assert statuses == [DecisionStatus.REFUSED, DecisionStatus.PENDING_VERIFICATION]


# --- refusals ---------------------------------------------------------------------------------


def test_a_path_the_channel_does_not_allow_is_refused_and_nothing_is_written(ctx):
    """A portal customer's decision through the integration: refused, naming the portal."""
    _, fai_id = submitted_portal_fai(ctx)
    before = (actions(ctx, fai_id), rows(ctx, orm.customer_decision_records))
    with pytest.raises(ChannelPathNotAllowedError) as refused:
        decisions.record_from_integration(as_(ctx, "orbital-qms"), fai_id, given())
    assert refused.value.code == "channel_path_not_allowed"
    assert refused.value.details["authority"] == "portal"
    assert "Net-Inspect" in refused.value.message
    assert (actions(ctx, fai_id), rows(ctx, orm.customer_decision_records)) == before
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.SUBMITTED


def test_a_firstarticle_authority_refuses_a_transcription(ctx):
    """The reverse: where firstarticle is the authority, only the signature decides."""
    _, fai_id = submitted_portal_fai(ctx, authority=ch.Authority.FIRSTARTICLE, portal_name=None)
    before = rows(ctx, orm.customer_decision_evidence)
    with pytest.raises(ChannelPathNotAllowedError):
        transcribe(ctx, fai_id)
    assert rows(ctx, orm.customer_decision_evidence) == before


def test_a_person_the_configuration_does_not_know_is_refused(ctx):
    """An unknown person's decision is refused with its code; nothing is written."""
    _, fai_id = submitted_portal_fai(ctx)
    before = rows(ctx, orm.customer_decision_records)
    with pytest.raises(UnknownCustomerPersonError):
        transcribe(ctx, fai_id, given(person="SOMEONE"))
    assert rows(ctx, orm.customer_decision_records) == before


def test_a_decision_before_submission_is_refused_before_anything_is_written(ctx):
    """The outcome must be one the FAI can take now."""
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id)
    fai_id = an_fai(ctx, plant).fai.id
    with pytest.raises(TransitionNotAllowedError):
        transcribe(ctx, fai_id)
    assert decisions.decisions_of(ctx, fai_id) == []


# --- integration, containment, conditions, reset -----------------------------------------------


def test_a_rejection_through_the_integration_places_the_containment_asked(ctx):
    """Rejected with containment of two serials: a containment hold on exactly those."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002", "SN0003"))
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    decide(
        ctx,
        fai_id,
        "rejected",
        containment=True,
        containment_serial_numbers=["SN0001", "SN0002"],
    )
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.REJECTED
    active = holds.list_holds(ctx, site_id=plant.site.id, status=HoldStatus.ACTIVE).items
    (contained,) = [h for h in active if h.kind is HoldKind.CONTAINMENT]
    assert contained.serial_numbers == ["SN0001", "SN0002"]
    assert len(shipment_holds(ctx, plant)) == 1  # a rejection keeps the FAI-required hold


@pytest.mark.parametrize(("met", "status"), [(True, "approved"), (False, "rejected")])
def test_a_conditional_acceptance_becomes_approved_or_rejected_by_its_conditions(ctx, met, status):
    """One action per condition: the last met approves, a failed one rejects."""
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    qms_channel(ctx, plant.customer.id)
    view = decisions.record_from_integration(
        ctx,
        fai_id,
        given(
            Outcome.CONDITIONALLY_ACCEPTED,
            person=BUYER,
            conditions=["Close finding 1", "Close finding 2"],
        ),
    )
    assert len(shipment_holds(ctx, plant)) == 1  # the configuration does not ship on it
    decisions.settle_condition(ctx, fai_id, view.decision.id, 1, met=True, note=None)
    assert (
        first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.CONDITIONALLY_ACCEPTED
    )
    decisions.settle_condition(ctx, fai_id, view.decision.id, 2, met=met, note="checked")
    assert first_articles.get_first_article(ctx, fai_id).fai.status.value == status
    assert (shipment_holds(ctx, plant) == []) is met
    with pytest.raises(ValidationError):
        decisions.settle_condition(ctx, fai_id, view.decision.id, 1, met=True, note=None)
    assert actions(ctx, fai_id).count("fai.customer_condition_settled") == 2


def test_shipment_while_conditional_follows_the_configuration(ctx):
    """Where the configuration ships on open conditions, the shipment hold is released."""
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id, ships_while_conditional=True)
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    view = transcribe(ctx, fai_id, given(Outcome.CONDITIONALLY_ACCEPTED, conditions=["Re-mark"]))
    decisions.verify(as_(ctx, "m.keller"), fai_id, view.decision.id)
    assert shipment_holds(ctx, plant) == []


def test_a_reset_clears_fields_20_to_25_and_is_not_a_rejection(ctx):
    """An approved FAI reset: back in work, signatures withdrawn, held again; yield intact."""
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    decide(ctx, fai_id, "approved")
    assert shipment_holds(ctx, plant) == []
    decide(ctx, fai_id, "reset")
    detail = first_articles.get_first_article(ctx, fai_id)
    assert detail.fai.status is FaiStatus.IN_PROGRESS
    assert not any(v.valid for v in signatures.signatures_of(ctx, fai_id))
    assert len(shipment_holds(ctx, plant)) == 1
    counts = fai_yield.first_pass_yield(ctx, plant.customer.code).counts
    assert (counts.first_submissions, counts.approved_first_time) == (1, 1)


# --- delegated buy-off and the signature path --------------------------------------------------


@pytest.mark.parametrize("mode", [ch.BuyOffMode.NONE, ch.BuyOffMode.DELEGATED])
def test_without_customer_buy_off_the_submission_approves(ctx, mode):
    """Buy-off none or delegated: submitting completes the approval (path delegated)."""
    plant = a_plant(ctx)
    portal_channel(ctx, plant.customer.id, buy_off=mode)
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.APPROVED
    (view,) = decisions.decisions_of(ctx, fai_id)
    assert (view.decision.path, view.decision.customer_person_id) == ("delegated", None)
    assert shipment_holds(ctx, plant) == []


def test_the_customer_representative_signs_only_where_firstarticle_is_the_authority(ctx):
    """Path (c) refused on a portal customer; accepted where firstarticle holds the authority
    and the configuration names the representative's account."""
    _, portal_fai = submitted_portal_fai(ctx)
    with pytest.raises(ChannelPathNotAllowedError):
        sign(ctx, portal_fai, SignatureMeaning.CUSTOMER_APPROVAL, "c.lee")
    assert first_articles.get_first_article(ctx, portal_fai).fai.status is FaiStatus.SUBMITTED

    rep = ch.CustomerPerson("AP-Q-1077", "Chris Lee", None, "c.lee")
    plant = a_plant(ctx, code="TLS", part_number="9B1-1")
    portal_channel(
        ctx, plant.customer.id, authority=ch.Authority.FIRSTARTICLE, portal_name=None, people=[rep]
    )
    fai_id = an_fai(ctx, plant).fai.id
    submit(ctx, fai_id)
    with pytest.raises(UnknownCustomerPersonError):
        sign(ctx, fai_id, SignatureMeaning.CUSTOMER_APPROVAL, "someone.else")
    sign(ctx, fai_id, SignatureMeaning.CUSTOMER_APPROVAL, "c.lee")
    assert first_articles.get_first_article(ctx, fai_id).fai.status is FaiStatus.APPROVED
    (view,) = decisions.decisions_of(ctx, fai_id)
    assert (view.decision.path, view.decision.decided_by) == ("signature", "Chris Lee")


# --- first-pass yield --------------------------------------------------------------------------


def test_first_pass_yield_counts_first_decisions_per_customer_site_and_program(ctx):
    """One FAI rejected then approved, one approved: 1 of 2; a program narrows the count."""
    plant = a_plant(ctx, serials=("SN0001",))
    first = an_fai(ctx, plant).fai.id
    submit(ctx, first)
    decide(ctx, first, "rejected")
    first_articles.transition(ctx, first, FaiAction.REWORK)
    sign(ctx, first, SignatureMeaning.VERIFIED, "q.verifier")
    sign(ctx, first, SignatureMeaning.REVIEWED_APPROVED, "q.manager")
    first_articles.transition(as_(ctx, "q.manager"), first, FaiAction.SUBMIT)
    decide(ctx, first, "approved")
    with ctx.uow_factory() as uow:
        uow.work_orders.get(plant.work_order.id).program = "F-35"
        uow.commit()
    second = an_fai(ctx, plant).fai.id
    submit(ctx, second)
    decide(ctx, second, "approved")
    an_fai(ctx, plant)  # never submitted: not counted

    report = fai_yield.first_pass_yield(ctx, plant.customer.code, site=plant.site.code)
    assert (report.counts.first_submissions, report.counts.approved_first_time) == (2, 1)
    assert report.counts.rejected_first_time == 1
    assert report.counts.ratio == 0.5
    by_program = fai_yield.first_pass_yield(ctx, plant.customer.code, program="F-35").counts
    assert (by_program.first_submissions, by_program.approved_first_time) == (2, 1)
    none = fai_yield.first_pass_yield(ctx, plant.customer.code, program="OTHER").counts
    assert none.first_submissions == 0
    assert none.ratio is None


def test_the_customer_time_is_stored_in_utc_with_its_offset_beside_it(ctx):
    """The row keeps UTC; the record reads back in the customer's own offset."""
    _, fai_id = submitted_portal_fai(ctx)
    view = transcribe(ctx, fai_id)
    with ctx.uow_factory() as uow:
        row = uow.session.execute(  # type: ignore[attr-defined]
            sa.select(
                orm.customer_decision_records.c.decided_at,
                orm.customer_decision_records.c.decided_at_offset_minutes,
            ).where(orm.customer_decision_records.c.id == view.decision.id)
        ).one()
    assert row.decided_at == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    assert row.decided_at_offset_minutes == -360
