"""A customer decision as firstarticle takes it: what each outcome carries, a transcription's
lifecycle (verified or refused by a second person), conditions, and first-pass yield."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from firstarticle.domain import decisions as dec
from firstarticle.domain.channels import Authority, EntryPath
from firstarticle.domain.decisions import DecisionStatus, Outcome, RequestedAction
from firstarticle.domain.errors import TransitionNotAllowedError, ValidationError
from firstarticle.domain.lifecycle import FaiAction

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CENTRAL = timezone(timedelta(hours=-6))
COMMENT = dec.ItemComment(3, "9", "Tolerance transcribed wrong")


def a_decision(
    outcome: Outcome = Outcome.APPROVED, **overrides: object
) -> dec.CustomerDecisionRecord:
    values: dict[str, object] = {
        "site_id": "site",
        "first_article_id": "fai",
        "attempt": 1,
        "outcome": outcome,
        "path": EntryPath.TRANSCRIPTION,
        "authority": Authority.PORTAL,
        "channel_version": 1,
        "customer_person_id": "AP-Q-1042",
        "decided_by": "Dana Whitfield",
        "decided_at": datetime(2026, 11, 20, 7, 30, tzinfo=CENTRAL),
        "recorded_by": "j.ortiz",
        "now": NOW,
        "reference": "NI-448812",
        "evidence_id": "evidence-1",
    }
    values.update(overrides)
    return dec.new_decision(**values)  # type: ignore[arg-type]


def test_a_transcription_waits_for_verification():
    """A transcribed decision is pending; an integration's is in effect at once."""
    assert a_decision().status is DecisionStatus.PENDING_VERIFICATION
    integrated = a_decision(path=EntryPath.INTEGRATION, evidence_id=None)
    assert integrated.status is DecisionStatus.IN_EFFECT


def test_the_customer_time_keeps_its_offset_and_is_apart_from_the_recording():
    """decided_at is the customer's clock; recorded_at the server's."""
    d = a_decision()
    assert d.decided_at.utcoffset() == timedelta(hours=-6)
    assert d.recorded_at == NOW != d.decided_at


def test_a_time_without_offset_or_in_the_future_is_refused():
    """The customer's time needs its offset and cannot be later than now."""
    with pytest.raises(ValidationError):
        a_decision(decided_at=datetime(2026, 11, 20, 7, 30))
    with pytest.raises(ValidationError):
        a_decision(decided_at=NOW + timedelta(hours=1))


def test_a_transcription_attaches_its_evidence_and_reference():
    """No evidence or no reference: no transcription."""
    with pytest.raises(ValidationError) as no_evidence:
        a_decision(evidence_id=None)
    assert no_evidence.value.details["field"] == "evidence_id"
    with pytest.raises(ValidationError) as no_reference:
        a_decision(reference=" ")
    assert no_reference.value.details["field"] == "reference"


def test_a_rejection_carries_comments_and_a_requested_action():
    """Comments per characteristic or field and the action asked of the plant."""
    with pytest.raises(ValidationError):
        a_decision(Outcome.REJECTED, requested_action=RequestedAction.REWORK)
    with pytest.raises(ValidationError):
        a_decision(Outcome.REJECTED, comments=[COMMENT])
    d = a_decision(Outcome.REJECTED, comments=[COMMENT], requested_action=RequestedAction.REWORK)
    assert d.forms_commented == [3]


def test_containment_names_the_serials_or_lots():
    """Containment without serials or lots, or serials without containment, is refused."""
    with pytest.raises(ValidationError):
        a_decision(
            Outcome.REJECTED, comments=[COMMENT], requested_action=RequestedAction.CONTAINMENT
        )
    with pytest.raises(ValidationError):
        a_decision(
            Outcome.REJECTED,
            comments=[COMMENT],
            requested_action=RequestedAction.REWORK,
            containment_serial_numbers=["SN0001"],
        )
    d = a_decision(
        Outcome.REJECTED,
        comments=[COMMENT],
        requested_action=RequestedAction.CONTAINMENT,
        containment_serial_numbers=["SN0001", "SN0002"],
    )
    assert d.containment_serial_numbers == ("SN0001", "SN0002")


def test_only_a_rejection_carries_comments_and_only_a_conditional_acceptance_conditions():
    """An approval with comments, or a conditional acceptance without conditions, is refused."""
    with pytest.raises(ValidationError):
        a_decision(comments=[COMMENT])
    with pytest.raises(ValidationError):
        a_decision(Outcome.CONDITIONALLY_ACCEPTED)
    with pytest.raises(ValidationError):
        a_decision(conditions=["Close finding 3"])
    d = a_decision(Outcome.CONDITIONALLY_ACCEPTED, conditions=["Close finding 3", "Re-mark"])
    assert [(c.number, c.text) for c in d.conditions] == [(1, "Close finding 3"), (2, "Re-mark")]


@pytest.mark.parametrize("form", [0, 4])
def test_a_comment_concerns_form_1_2_or_3(form):
    """Comments name a form of AS9102."""
    with pytest.raises(ValidationError):
        dec.ItemComment(form, "9", "text")


def test_a_second_person_verifies_a_transcription():
    """Verified by another person, the transcription is in effect."""
    d = a_decision()
    d.verify("m.keller", NOW)
    assert (d.status, d.verified_by, d.verified_at) == (DecisionStatus.IN_EFFECT, "m.keller", NOW)


def test_the_author_cannot_verify_or_refuse_their_own_transcription():
    """Self-verification is refused with its own code; the status does not move."""
    d = a_decision()
    for act in (lambda: d.verify("j.ortiz", NOW), lambda: d.refuse("j.ortiz", NOW, "wrong")):
        with pytest.raises(dec.SelfVerificationError) as refused:
            act()
        assert refused.value.code == "transcription_self_verification"
    assert d.status is DecisionStatus.PENDING_VERIFICATION


def test_a_verifier_may_refuse_a_transcription_with_a_reason():
    """Refused, it never takes effect and cannot be verified later."""
    d = a_decision()
    with pytest.raises(ValidationError):
        d.refuse("m.keller", NOW, "")
    d.refuse("m.keller", NOW, "The PDF shows a rejection")
    assert d.status is DecisionStatus.REFUSED
    with pytest.raises(TransitionNotAllowedError):
        d.verify("m.keller", NOW)


def test_only_a_pending_transcription_moves():
    """The status table: in effect and refused are final."""
    assert dec.STATUS_TRANSITIONS[DecisionStatus.IN_EFFECT] == frozenset()
    assert dec.STATUS_TRANSITIONS[DecisionStatus.REFUSED] == frozenset()
    d = a_decision(path=EntryPath.INTEGRATION, evidence_id=None)
    with pytest.raises(TransitionNotAllowedError):
        d.verify("m.keller", NOW)


@pytest.mark.parametrize(
    ("outcome", "action"),
    [
        (Outcome.APPROVED, FaiAction.APPROVE),
        (Outcome.CONDITIONALLY_ACCEPTED, FaiAction.ACCEPT_CONDITIONALLY),
        (Outcome.REJECTED, FaiAction.REJECT),
        (Outcome.RESET, FaiAction.RESET),
    ],
)
def test_each_outcome_takes_its_lifecycle_action(outcome, action):
    """The outcome names the transition; a reset has no Form 1 decision of its own."""
    assert outcome.action is action
    assert (outcome.legacy is None) is (outcome is Outcome.RESET)


def test_the_event_value_carries_identifiers_and_no_free_text():
    """Messages built from the event never carry comments or conditions."""
    d = a_decision(
        Outcome.REJECTED,
        comments=[COMMENT],
        requested_action=RequestedAction.RESUBMISSION,
    )
    value = d.event_value("portal")
    assert value == {
        "outcome": "rejected",
        "attempt": 1,
        "requested_action": "resubmission",
        "forms_commented": [3],
        "channel": "portal",
        "path": "transcription",
        "reference": "NI-448812",
        "decision_id": d.id,
    }
    assert COMMENT.comment not in repr(value)


def settle(d: dec.CustomerDecisionRecord, number: int, met: bool) -> dec.ConditionSettlement:
    return dec.ConditionSettlement("site", "fai", d.id, number, met, None, "m.keller", NOW)


def test_conditions_met_approve_and_one_failed_rejects():
    """Open while any is open; approved when all are met; rejected once one fails."""
    d = a_decision(Outcome.CONDITIONALLY_ACCEPTED, conditions=["one", "two"])
    assert dec.conditions_outcome(d, []) is None
    assert dec.conditions_outcome(d, [settle(d, 1, True)]) is None
    assert dec.conditions_outcome(d, [settle(d, 1, True), settle(d, 2, True)]) is Outcome.APPROVED
    assert dec.conditions_outcome(d, [settle(d, 2, False)]) is Outcome.REJECTED


def in_effect(outcome: Outcome, attempt: int, minutes: int, **more: object):
    d = a_decision(
        outcome,
        path=EntryPath.INTEGRATION,
        evidence_id=None,
        attempt=attempt,
        now=NOW + timedelta(minutes=minutes),
        **more,
    )
    return d


def test_the_first_outcome_skips_resets_and_resolves_conditions():
    """A reset is no outcome; a conditional acceptance is what its conditions made of it."""
    reset = in_effect(Outcome.RESET, 1, 0)
    rejected = in_effect(
        Outcome.REJECTED, 1, 5, comments=[COMMENT], requested_action=RequestedAction.REWORK
    )
    approved = in_effect(Outcome.APPROVED, 2, 10)
    assert dec.first_outcome([approved, rejected, reset], []) == (True, Outcome.REJECTED)
    assert dec.first_outcome([reset], []) == (False, None)
    conditional = in_effect(Outcome.CONDITIONALLY_ACCEPTED, 1, 0, conditions=["one"])
    assert dec.first_outcome([conditional], []) == (True, None)
    assert dec.first_outcome([conditional], [settle(conditional, 1, True)]) == (
        True,
        Outcome.APPROVED,
    )


def test_a_pending_transcription_is_not_a_first_outcome():
    """Only decisions in effect count."""
    assert dec.first_outcome([a_decision()], []) == (False, None)


def test_first_pass_yield_counts_what_is_behind_the_ratio():
    """Approved first time over all first decisions; undecided submissions apart."""
    report = dec.first_pass_yield(
        ["a", "b", "c", "d", "e"],
        {"a": Outcome.APPROVED, "b": Outcome.REJECTED, "c": Outcome.APPROVED, "d": None},
    )
    assert report == dec.FirstPassYield(
        first_submissions=4,
        approved_first_time=2,
        rejected_first_time=1,
        conditional_open=1,
        awaiting_decision=1,
    )
    assert report.ratio == 0.5
    assert dec.first_pass_yield([], {}).ratio is None
