"""The FAI lifecycle: the transition table, its guards, and FirstArticle.apply."""

from __future__ import annotations

import pytest
from builders import NOW, a_bare_fai
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from firstarticle.domain.errors import (
    DomainError,
    GuardFailedError,
    TransitionNotAllowedError,
    ValidationError,
)
from firstarticle.domain.lifecycle import (
    ALLOWED_TARGETS,
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    FaiAction,
    FaiStatus,
    actions_from,
    plan_transition,
)
from firstarticle.domain.readiness import Finding, Severity

S, A = FaiStatus, FaiAction

# The lifecycle as DESIGN.md draws it, written out here independently of lifecycle.py:
# (status, action) -> target. Every pair not listed is refused. A reset the customer grants
# (AS9102.md, "Customer channels") clears fields 20-25 and sends the FAI back to work.
EXPECTED: dict[tuple[FaiStatus, FaiAction], FaiStatus] = {
    (S.DRAFT, A.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.REQUEST_REVIEW): S.PENDING_INTERNAL_REVIEW,
    (S.PENDING_INTERNAL_REVIEW, A.RETURN_TO_WORK): S.IN_PROGRESS,
    (S.INTERNALLY_APPROVED, A.RETURN_TO_WORK): S.IN_PROGRESS,
    (S.PENDING_INTERNAL_REVIEW, A.APPROVE_INTERNALLY): S.INTERNALLY_APPROVED,
    (S.INTERNALLY_APPROVED, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.CONDITIONALLY_ACCEPTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.ACCEPT_CONDITIONALLY): S.CONDITIONALLY_ACCEPTED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.CONDITIONALLY_ACCEPTED, A.REJECT): S.REJECTED,
    (S.REJECTED, A.REWORK): S.IN_PROGRESS,
    (S.APPROVED, A.SUPERSEDE): S.SUPERSEDED,
    **{
        (status, A.RESET): S.IN_PROGRESS
        for status in (S.SUBMITTED, S.CONDITIONALLY_ACCEPTED, S.REJECTED, S.APPROVED)
    },
    **{
        (status, A.CANCEL): S.CANCELLED
        for status in S
        if status not in {S.APPROVED, S.CANCELLED, S.SUPERSEDED}
    },
}
REASON_REQUIRED = {A.RETURN_TO_WORK, A.ACCEPT_CONDITIONALLY, A.REJECT, A.CANCEL, A.SUPERSEDE}
NEEDS_READINESS = {A.REQUEST_REVIEW, A.APPROVE_INTERNALLY, A.SUBMIT}

ALL_PAIRS = [(status, action) for status in S for action in A]
ALLOWED = sorted(EXPECTED, key=str)
REFUSED = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def a_blocking_finding() -> Finding:
    """A blocking readiness finding, as readiness.evaluate would return it."""
    return Finding("RESULT_MISSING", Severity.BLOCKING, "Balloon 1 has no result.")


def apply_fully(fai, action, **kw):
    """Apply ``action`` with a reason and a successor, so only the table can refuse it."""
    return fai.apply(
        action, actor="qe-carl", at=NOW, reason="as agreed", superseded_by_id="fai-next", **kw
    )


def snapshot(fai):
    """What a refused action must not change."""
    return (fai.status, fai.submission_attempt, fai.superseded_by_id, fai.updated_at)


# --- the table -----------------------------------------------------------------------------


def test_the_transition_table_is_the_documented_lifecycle():
    """lifecycle.TRANSITIONS allows exactly the (status, action) pairs DESIGN.md draws."""
    actual = {(source, t.action): t.target for t in TRANSITIONS for source in t.sources}
    assert actual == EXPECTED


def test_reasons_and_readiness_are_required_by_exactly_the_documented_actions():
    """Only the documented actions ask for a reason, and only review steps for readiness."""
    assert {t.action for t in TRANSITIONS if t.reason_required} == REASON_REQUIRED
    assert {t.action for t in TRANSITIONS if t.needs_readiness} == NEEDS_READINESS


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=lambda v: str(v))
def test_an_allowed_action_moves_the_fai_to_the_table_target(status, action):
    """Every edge of the table moves the FAI to its target and says so in one event."""
    fai = a_bare_fai(status=status)
    events = apply_fully(fai, action)
    target = EXPECTED[(status, action)]
    assert fai.status is target
    assert fai.updated_at == NOW
    [event] = events
    assert event.action == f"fai.{action.value}"
    assert event.record_id == fai.id
    assert event.changes["status"] == (status.value, target.value)


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=lambda v: str(v))
def test_an_action_not_in_the_table_is_refused_and_changes_nothing(status, action):
    """Every other (status, action) pair raises TransitionNotAllowedError; nothing moves."""
    fai = a_bare_fai(status=status)
    before = snapshot(fai)
    with pytest.raises(TransitionNotAllowedError) as info:
        apply_fully(fai, action)
    assert snapshot(fai) == before
    assert info.value.details["action"] == action.value
    assert info.value.details["allowed_actions"] == [a.value for a in A if (status, a) in EXPECTED]


@pytest.mark.parametrize("status", list(S))
def test_the_offered_actions_of_a_status_are_its_edges_in_the_table(status):
    """actions_from and ALLOWED_TARGETS agree with the table for every status."""
    assert set(actions_from(status)) == {a for (s, a) in EXPECTED if s is status}
    assert ALLOWED_TARGETS[status] == {t for (s, _), t in EXPECTED.items() if s is status}


@pytest.mark.parametrize("status", [S.CANCELLED, S.SUPERSEDED])
def test_a_terminal_status_has_no_exits(status):
    """Cancelled and superseded FAIs are final: no action leaves them."""
    assert status.is_terminal
    assert not status.is_open
    assert actions_from(status) == ()
    assert ALLOWED_TARGETS[status] == frozenset()


def test_only_cancelled_and_superseded_are_terminal():
    """Approved is not terminal (it can be superseded) but it is no longer open."""
    assert frozenset(s for s in S if s.is_terminal) == TERMINAL_STATUSES
    assert {S.CANCELLED, S.SUPERSEDED} == TERMINAL_STATUSES
    assert not S.APPROVED.is_terminal
    assert not S.APPROVED.is_open
    assert set(S) - {S.APPROVED, S.CANCELLED, S.SUPERSEDED} == OPEN_STATUSES


def test_an_approved_fai_can_only_be_superseded_or_reset():
    """An approved FAI is never cancelled: a newer FAI supersedes it, or the customer grants
    a reset."""
    assert set(actions_from(S.APPROVED)) == {A.SUPERSEDE, A.RESET}


def test_only_draft_in_progress_and_rejected_fais_are_editable():
    """Package content may change only before review or after a rejection."""
    assert {S.DRAFT, S.IN_PROGRESS, S.REJECTED} == EDITABLE_STATUSES


def test_a_status_label_reads_as_words():
    """pending_internal_review is shown as 'Pending internal review'."""
    assert S.PENDING_INTERNAL_REVIEW.label == "Pending internal review"


# --- reasons -------------------------------------------------------------------------------

REASON_PAIRS = sorted(((s, a) for (s, a) in EXPECTED if a in REASON_REQUIRED), key=str)


@pytest.mark.parametrize("reason", [None, "", "   \t"], ids=repr)
@pytest.mark.parametrize(("status", "action"), REASON_PAIRS, ids=lambda v: str(v))
def test_an_action_that_needs_a_reason_refuses_a_blank_one(status, action, reason):
    """No reason, an empty one or whitespace is refused with a ValidationError on 'reason'."""
    fai = a_bare_fai(status=status)
    before = snapshot(fai)
    with pytest.raises(ValidationError) as info:
        fai.apply(action, actor="qe-carl", at=NOW, reason=reason, superseded_by_id="fai-next")
    assert info.value.details["field"] == "reason"
    assert snapshot(fai) == before


def test_the_reason_is_carried_by_the_event():
    """The audit event keeps the reason given for a rejection."""
    fai = a_bare_fai(status=S.SUBMITTED)
    [event] = fai.apply(A.REJECT, actor="portal", at=NOW, reason="Balloon 4 out of tolerance")
    assert event.reason == "Balloon 4 out of tolerance"


def test_an_action_without_a_reason_requirement_accepts_none():
    """Starting work needs no reason."""
    fai = a_bare_fai(status=S.DRAFT)
    fai.apply(A.START, actor="qe-carl", at=NOW)
    assert fai.status is S.IN_PROGRESS


@pytest.mark.parametrize("successor", [None, "", "self"])
def test_superseding_names_another_fai(successor):
    """Supersede needs the id of the newer FAI, and not this FAI's own id."""
    fai = a_bare_fai(status=S.APPROVED)
    before = snapshot(fai)
    successor_id = fai.id if successor == "self" else successor
    with pytest.raises(ValidationError) as info:
        fai.apply(
            A.SUPERSEDE, actor="qe-carl", at=NOW, reason="rev B", superseded_by_id=successor_id
        )
    assert info.value.details["field"] == "superseded_by"
    assert snapshot(fai) == before


def test_superseding_records_the_newer_fai():
    """A superseded FAI points at the FAI that replaced it."""
    fai = a_bare_fai(status=S.APPROVED)
    fai.apply(A.SUPERSEDE, actor="qe-carl", at=NOW, reason="rev B", superseded_by_id="fai-b")
    assert (fai.status, fai.superseded_by_id) == (S.SUPERSEDED, "fai-b")


# --- readiness guard -----------------------------------------------------------------------

GUARDED_PAIRS = sorted(((s, a) for (s, a) in EXPECTED if a in NEEDS_READINESS), key=str)


@pytest.mark.parametrize(("status", "action"), GUARDED_PAIRS, ids=lambda v: str(v))
def test_a_readiness_guarded_action_refuses_while_blocking_findings_exist(status, action):
    """Review, internal approval and submission raise GuardFailedError carrying the findings."""
    fai = a_bare_fai(status=status)
    before = snapshot(fai)
    findings = [a_blocking_finding(), a_blocking_finding()]
    with pytest.raises(GuardFailedError) as info:
        apply_fully(fai, action, blocking_findings=findings)
    assert info.value.details["findings"] == findings
    assert "2 blocking" in info.value.message
    assert snapshot(fai) == before


@pytest.mark.parametrize(("status", "action"), GUARDED_PAIRS, ids=lambda v: str(v))
def test_a_readiness_guard_accepts_findings_given_as_a_generator(status, action):
    """Findings may be any iterable; a one-shot generator is still reported in full."""
    fai = a_bare_fai(status=status)
    with pytest.raises(GuardFailedError) as info:
        apply_fully(fai, action, blocking_findings=(f for f in [a_blocking_finding()]))
    assert len(info.value.details["findings"]) == 1


def test_cancelling_is_not_stopped_by_blocking_findings():
    """An unready FAI can always be abandoned."""
    fai = a_bare_fai(status=S.IN_PROGRESS)
    apply_fully(fai, A.CANCEL, blocking_findings=[a_blocking_finding()])
    assert fai.status is S.CANCELLED


def test_a_table_refusal_comes_before_the_reason_and_guard_checks():
    """Submitting a draft is refused by the table, whatever reason or findings are given."""
    with pytest.raises(TransitionNotAllowedError):
        plan_transition(S.DRAFT, A.SUBMIT, blocking_findings=[a_blocking_finding()])


# --- submission attempts -------------------------------------------------------------------


def test_each_submission_counts_one_attempt():
    """Reject, rework and resubmit: the second submission is attempt 2."""
    fai = a_bare_fai(status=S.INTERNALLY_APPROVED)
    [event] = apply_fully(fai, A.SUBMIT)
    assert event.changes["submission_attempt"] == (0, 1)
    for action in (A.REJECT, A.REWORK, A.REQUEST_REVIEW, A.APPROVE_INTERNALLY, A.SUBMIT):
        apply_fully(fai, action)
    assert (fai.status, fai.submission_attempt) == (S.SUBMITTED, 2)


def test_actions_other_than_submit_leave_the_attempt_count_alone():
    """Approving after a conditional acceptance does not count as a submission."""
    fai = a_bare_fai(status=S.SUBMITTED)
    fai.submission_attempt = 1
    for action in (A.ACCEPT_CONDITIONALLY, A.APPROVE):
        [event] = apply_fully(fai, action)
        assert "submission_attempt" not in event.changes
    assert fai.submission_attempt == 1


# --- random walks --------------------------------------------------------------------------

REASONS = st.sampled_from([None, "", "  ", "customer asked"])
SUCCESSORS = st.sampled_from([None, "self", "fai-next"])


class FaiLifecycleMachine(RuleBasedStateMachine):
    """Tries random actions on one FAI and checks what must always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.fai = a_bare_fai(status=S.DRAFT)
        self.successful_submits = 0
        self.terminal: FaiStatus | None = None

    def _try(self, action, reason, blocked, successor):
        fai = self.fai
        before = snapshot(fai)
        successor_id = fai.id if successor == "self" else successor
        findings = [a_blocking_finding()] if blocked else []
        refusal: DomainError | None = None
        try:
            events = fai.apply(
                action,
                actor="qe-carl",
                at=NOW,
                reason=reason,
                blocking_findings=findings,
                superseded_by_id=successor_id,
            )
        except (TransitionNotAllowedError, ValidationError, GuardFailedError) as error:
            refusal = error
        if refusal is not None:
            assert snapshot(fai) == before, "a refused action changed the FAI"
            off_table = (before[0], action) not in EXPECTED
            assert isinstance(refusal, TransitionNotAllowedError) is off_table
            if isinstance(refusal, GuardFailedError):
                assert action in NEEDS_READINESS
                assert blocked
            return
        source, target = before[0], fai.status
        assert (source, action) in EXPECTED
        assert target is EXPECTED[(source, action)]
        assert source not in TERMINAL_STATUSES
        if target is S.APPROVED:
            assert source in {S.SUBMITTED, S.CONDITIONALLY_ACCEPTED}
        if action in REASON_REQUIRED:
            assert reason is not None
            assert reason.strip()
        if action in NEEDS_READINESS:
            assert not blocked
        [event] = events
        assert event.changes["status"] == (source.value, target.value)
        if action is A.SUBMIT:
            self.successful_submits += 1
        if target in TERMINAL_STATUSES:
            self.terminal = target

    @rule(
        action=st.sampled_from(list(A)), reason=REASONS, blocked=st.booleans(), successor=SUCCESSORS
    )
    def any_action(self, action, reason, blocked, successor):
        """Any action at all, mostly refused."""
        self._try(action, reason, blocked, successor)

    @precondition(lambda self: bool(actions_from(self.fai.status)))
    @rule(data=st.data(), reason=REASONS, blocked=st.booleans(), successor=SUCCESSORS)
    def an_offered_action(self, data, reason, blocked, successor):
        """An action the current status offers (cancel aside), so walks get deep."""
        offered = [a for a in actions_from(self.fai.status) if a is not A.CANCEL]
        action = data.draw(st.sampled_from(offered))
        self._try(action, reason, blocked, successor)

    @invariant()
    def status_is_a_known_status(self):
        """The status is always one of FaiStatus."""
        assert isinstance(self.fai.status, FaiStatus)

    @invariant()
    def attempts_count_successful_submissions(self):
        """submission_attempt equals the number of successful SUBMITs."""
        assert self.fai.submission_attempt == self.successful_submits

    @invariant()
    def terminal_statuses_hold(self):
        """Once cancelled or superseded, the FAI stays so."""
        if self.terminal is not None:
            assert self.fai.status is self.terminal

    @invariant()
    def only_a_superseded_fai_names_a_successor(self):
        """superseded_by_id is set exactly when the FAI is superseded."""
        assert (self.fai.superseded_by_id is not None) == (self.fai.status is S.SUPERSEDED)


def test_random_action_sequences_keep_the_lifecycle_invariants():
    """Random walks over apply never break the lifecycle's invariants."""
    run_state_machine_as_test(
        FaiLifecycleMachine,
        settings=settings(max_examples=100, stateful_step_count=50, deadline=None),
    )
