"""The FAI lifecycle: statuses and their transitions, kept as data.

Every status change goes through :func:`plan_transition`, which checks the transition table
and the guard; nothing else decides whether an FAI may move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from firstarticle.domain.errors import GuardFailedError, TransitionNotAllowedError, ValidationError


class FaiStatus(StrEnum):
    """Where a first article inspection stands."""

    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    PENDING_INTERNAL_REVIEW = "pending_internal_review"
    INTERNALLY_APPROVED = "internally_approved"
    SUBMITTED = "submitted"
    CONDITIONALLY_ACCEPTED = "conditionally_accepted"
    REJECTED = "rejected"
    APPROVED = "approved"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        """The status as people read it."""
        return self.value.replace("_", " ").capitalize()

    @property
    def is_terminal(self) -> bool:
        """True when no transition leaves this status."""
        return self in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        """True while the FAI is being prepared, reviewed or decided by the customer."""
        return self in OPEN_STATUSES


TERMINAL_STATUSES = frozenset({FaiStatus.CANCELLED, FaiStatus.SUPERSEDED})
# Statuses in which the package content may still change.
EDITABLE_STATUSES = frozenset({FaiStatus.DRAFT, FaiStatus.IN_PROGRESS, FaiStatus.REJECTED})
OPEN_STATUSES = frozenset(FaiStatus) - TERMINAL_STATUSES - {FaiStatus.APPROVED}


class FaiAction(StrEnum):
    """What a person or an integration asks the lifecycle to do."""

    START = "start"
    REQUEST_REVIEW = "request_review"
    RETURN_TO_WORK = "return_to_work"
    APPROVE_INTERNALLY = "approve_internally"
    SUBMIT = "submit"
    APPROVE = "approve"
    ACCEPT_CONDITIONALLY = "accept_conditionally"
    REJECT = "reject"
    REWORK = "rework"
    RESET = "reset"
    CANCEL = "cancel"
    SUPERSEDE = "supersede"


@dataclass(frozen=True)
class Transition:
    """One edge of the lifecycle and what its guard asks for."""

    action: FaiAction
    sources: frozenset[FaiStatus]
    target: FaiStatus
    reason_required: bool = False
    needs_readiness: bool = False
    description: str = ""


_S = FaiStatus
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        FaiAction.START,
        frozenset({_S.DRAFT}),
        _S.IN_PROGRESS,
        description="Work on the FAI begins: results and evidence are collected.",
    ),
    Transition(
        FaiAction.REQUEST_REVIEW,
        frozenset({_S.IN_PROGRESS}),
        _S.PENDING_INTERNAL_REVIEW,
        needs_readiness=True,
        description="The package is complete and goes to internal review.",
    ),
    Transition(
        FaiAction.RETURN_TO_WORK,
        frozenset({_S.PENDING_INTERNAL_REVIEW, _S.INTERNALLY_APPROVED}),
        _S.IN_PROGRESS,
        reason_required=True,
        description="Internal review sends the package back, or a signed content changed.",
    ),
    Transition(
        FaiAction.APPROVE_INTERNALLY,
        frozenset({_S.PENDING_INTERNAL_REVIEW}),
        _S.INTERNALLY_APPROVED,
        needs_readiness=True,
        description="Internal review approves the package (Form 1 fields 20-23).",
    ),
    Transition(
        FaiAction.SUBMIT,
        frozenset({_S.INTERNALLY_APPROVED}),
        _S.SUBMITTED,
        needs_readiness=True,
        description="The package goes to the customer through the contract's channel.",
    ),
    Transition(
        FaiAction.APPROVE,
        frozenset({_S.SUBMITTED, _S.CONDITIONALLY_ACCEPTED}),
        _S.APPROVED,
        description="The customer approved the FAI (Form 1 fields 24-25).",
    ),
    Transition(
        FaiAction.ACCEPT_CONDITIONALLY,
        frozenset({_S.SUBMITTED}),
        _S.CONDITIONALLY_ACCEPTED,
        reason_required=True,
        description="The customer accepted with conditions still to be met.",
    ),
    Transition(
        FaiAction.REJECT,
        frozenset({_S.SUBMITTED, _S.CONDITIONALLY_ACCEPTED}),
        _S.REJECTED,
        reason_required=True,
        description="The customer rejected the FAI, or its conditions failed.",
    ),
    Transition(
        FaiAction.REWORK,
        frozenset({_S.REJECTED}),
        _S.IN_PROGRESS,
        description="Rework towards a new submission round.",
    ),
    Transition(
        FaiAction.RESET,
        frozenset({_S.SUBMITTED, _S.CONDITIONALLY_ACCEPTED, _S.REJECTED, _S.APPROVED}),
        _S.IN_PROGRESS,
        description="The customer granted a reset: fields 20-25 are cleared, work resumes.",
    ),
    Transition(
        FaiAction.CANCEL,
        frozenset(FaiStatus) - TERMINAL_STATUSES - {_S.APPROVED},
        _S.CANCELLED,
        reason_required=True,
        description="The FAI is abandoned; an approved FAI is superseded instead.",
    ),
    Transition(
        FaiAction.SUPERSEDE,
        frozenset({_S.APPROVED}),
        _S.SUPERSEDED,
        reason_required=True,
        description="A newer FAI replaces this approved one.",
    ),
)
del _S

TRANSITIONS_BY_ACTION: Mapping[FaiAction, Transition] = {t.action: t for t in TRANSITIONS}

ALLOWED_TARGETS: Mapping[FaiStatus, frozenset[FaiStatus]] = {
    status: frozenset(t.target for t in TRANSITIONS if status in t.sources) for status in FaiStatus
}


def actions_from(status: FaiStatus) -> tuple[FaiAction, ...]:
    """The actions the lifecycle offers in ``status``, in table order."""
    return tuple(t.action for t in TRANSITIONS if status in t.sources)


def plan_transition(
    status: FaiStatus,
    action: FaiAction,
    *,
    reason: str | None = None,
    blocking_findings: Iterable[object] = (),
) -> Transition:
    """Return the transition ``action`` takes from ``status``, or raise why it cannot.

    Raises TransitionNotAllowedError when the table has no such edge, ValidationError when a
    reason is required and missing, and GuardFailedError (carrying the findings) when the
    transition needs readiness and blocking findings exist.
    """
    transition = TRANSITIONS_BY_ACTION[action]
    if status not in transition.sources:
        raise TransitionNotAllowedError(
            f"An FAI in status '{status}' cannot {action.value.replace('_', ' ')}.",
            current_status=status.value,
            action=action.value,
            allowed_actions=[a.value for a in actions_from(status)],
        )
    if transition.reason_required and not (reason and reason.strip()):
        raise ValidationError(
            f"To {action.value.replace('_', ' ')} an FAI, give a reason.", field="reason"
        )
    findings = list(blocking_findings)
    if transition.needs_readiness and findings:
        raise GuardFailedError(
            f"The FAI is not ready to {action.value.replace('_', ' ')}: "
            f"{len(findings)} blocking finding(s).",
            findings=findings,
        )
    return transition
