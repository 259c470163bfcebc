"""Customer decisions with their evidence, as firstarticle takes them from the channel.

A decision is never edited: a later decision or a reset is a new record. A transcription is
pending until a second person verifies it against its evidence (or refuses it); only a
decision in effect moves the FAI. The statuses and their transitions are data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from firstarticle.domain.channels import Authority, EntryPath
from firstarticle.domain.errors import ConflictError, TransitionNotAllowedError, ValidationError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.model import DecisionOutcome, new_id, require_text


class Outcome(StrEnum):
    """What the customer decided; a reset clears fields 20-25 and is not a rejection."""

    APPROVED = "approved"
    CONDITIONALLY_ACCEPTED = "conditionally_accepted"
    REJECTED = "rejected"
    RESET = "reset"

    @property
    def action(self) -> FaiAction:
        """The lifecycle action this outcome takes."""
        return ACTION_OF_OUTCOME[self]

    @property
    def legacy(self) -> DecisionOutcome | None:
        """The outcome as the FAI's Form 1 decision list records it (none for a reset)."""
        return None if self is Outcome.RESET else DecisionOutcome(self.value)


ACTION_OF_OUTCOME: Mapping[Outcome, FaiAction] = {
    Outcome.APPROVED: FaiAction.APPROVE,
    Outcome.CONDITIONALLY_ACCEPTED: FaiAction.ACCEPT_CONDITIONALLY,
    Outcome.REJECTED: FaiAction.REJECT,
    Outcome.RESET: FaiAction.RESET,
}


class RequestedAction(StrEnum):
    """What a rejection asks the plant to do."""

    REWORK = "rework"
    RESUBMISSION = "resubmission"
    CONTAINMENT = "containment"


class DecisionStatus(StrEnum):
    """Whether a recorded decision moves the FAI."""

    PENDING_VERIFICATION = "pending_verification"
    IN_EFFECT = "in_effect"
    REFUSED = "refused"


# Only a pending transcription moves on: verified (in effect) or refused by the verifier.
STATUS_TRANSITIONS: Mapping[DecisionStatus, frozenset[DecisionStatus]] = {
    DecisionStatus.PENDING_VERIFICATION: frozenset(
        {DecisionStatus.IN_EFFECT, DecisionStatus.REFUSED}
    ),
    DecisionStatus.IN_EFFECT: frozenset(),
    DecisionStatus.REFUSED: frozenset(),
}


class SelfVerificationError(ConflictError):
    """The person who transcribed a decision cannot verify (or refuse) it."""

    code = "transcription_self_verification"


@dataclass(frozen=True)
class ItemComment:
    """A customer comment on one characteristic (balloon) or field of a form."""

    form: int
    item: str
    comment: str

    def __post_init__(self) -> None:
        if self.form not in (1, 2, 3):
            raise ValidationError("A comment concerns form 1, 2 or 3.", field="form")
        require_text(self.item, "item")
        require_text(self.comment, "comment")


@dataclass(frozen=True)
class Condition:
    """One condition of a conditional acceptance, numbered from 1."""

    number: int
    text: str


@dataclass(frozen=True)
class ConditionSettlement:
    """A condition met or failed, by whom and when."""

    site_id: str
    first_article_id: str
    decision_id: str
    number: int
    met: bool
    note: str | None
    settled_by: str
    settled_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class DecisionEvidence:
    """A file the customer's decision came in (portal PDF, screenshot, email)."""

    site_id: str
    first_article_id: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    content: bytes
    uploaded_by: str
    uploaded_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class CustomerDecisionRecord:
    """One decision of the customer, as it came in, with who recorded and verified it.

    ``decided_at`` is the customer's time with its own UTC offset; ``recorded_at`` is the
    server's time of recording.
    """

    site_id: str
    first_article_id: str
    attempt: int
    outcome: Outcome
    path: EntryPath
    authority: Authority
    channel_version: int
    customer_person_id: str | None
    decided_by: str
    decided_at: datetime
    recorded_by: str
    recorded_at: datetime
    reference: str | None = None
    requested_action: RequestedAction | None = None
    comments: tuple[ItemComment, ...] = ()
    conditions: tuple[Condition, ...] = ()
    containment_serial_numbers: tuple[str, ...] = ()
    containment_lots: tuple[str, ...] = ()
    evidence_id: str | None = None
    status: DecisionStatus = DecisionStatus.IN_EFFECT
    verified_by: str | None = None
    verified_at: datetime | None = None
    refused_reason: str | None = None
    id: str = field(default_factory=new_id)

    @property
    def forms_commented(self) -> list[int]:
        """The forms the customer's comments concern, in order."""
        return sorted({c.form for c in self.comments})

    def _move(self, to: DecisionStatus, by: str, at: datetime) -> None:
        if to not in STATUS_TRANSITIONS[self.status]:
            raise TransitionNotAllowedError(
                f"The decision is {self.status.value.replace('_', ' ')}; it cannot become "
                f"{to.value.replace('_', ' ')}.",
                current_status=self.status.value,
            )
        if by == self.recorded_by:
            raise SelfVerificationError(
                "A second person verifies a transcription against its evidence; its author cannot.",
                recorded_by=self.recorded_by,
            )
        self.status, self.verified_by, self.verified_at = to, by, at

    def verify(self, by: str, at: datetime) -> None:
        """The transcription checked against its evidence by another person: in effect."""
        self._move(DecisionStatus.IN_EFFECT, by, at)

    def refuse(self, by: str, at: datetime, reason: str) -> None:
        """The transcription refused by its verifier: it never takes effect."""
        reason = require_text(reason, "reason")
        self._move(DecisionStatus.REFUSED, by, at)
        self.refused_reason = reason

    def event_value(self, channel: str) -> dict[str, object]:
        """The ``customer_decision`` value of the fai.customer_decision_recorded event: no
        free text (comments, conditions), only identifiers and outcomes."""
        return {
            "outcome": self.outcome.value,
            "attempt": self.attempt,
            "requested_action": self.requested_action.value if self.requested_action else None,
            "forms_commented": self.forms_commented,
            "channel": channel,
            "path": self.path.value,
            "reference": self.reference,
            "decision_id": self.id,
        }


def new_decision(
    *,
    site_id: str,
    first_article_id: str,
    attempt: int,
    outcome: Outcome,
    path: EntryPath,
    authority: Authority,
    channel_version: int,
    customer_person_id: str | None,
    decided_by: str,
    decided_at: datetime,
    recorded_by: str,
    now: datetime,
    reference: str | None = None,
    requested_action: RequestedAction | None = None,
    comments: Sequence[ItemComment] = (),
    conditions: Sequence[str] = (),
    containment_serial_numbers: Sequence[str] = (),
    containment_lots: Sequence[str] = (),
    evidence_id: str | None = None,
) -> CustomerDecisionRecord:
    """A checked decision: pending verification when transcribed, in effect otherwise.

    A rejection carries comments and a requested action (containment names serials or lots);
    a conditional acceptance carries its conditions; nothing else carries either. The
    customer's time has a UTC offset and is not in the future; a transcription names its
    evidence and reference, an integration its reference.
    """
    if decided_at.tzinfo is None or decided_at.utcoffset() is None:
        raise ValidationError("decided_at needs the customer's UTC offset.", field="decided_at")
    if decided_at > now + timedelta(minutes=5):
        raise ValidationError("decided_at is in the future.", field="decided_at")
    rejected = outcome is Outcome.REJECTED
    if rejected and not comments:
        raise ValidationError("A rejection carries the customer's comments.", field="comments")
    if rejected and requested_action is None:
        raise ValidationError("A rejection names its requested action.", field="requested_action")
    if not rejected and (comments or requested_action):
        raise ValidationError(
            "Only a rejection carries comments and a requested action.", field="comments"
        )
    containment = requested_action is RequestedAction.CONTAINMENT
    if containment and not (containment_serial_numbers or containment_lots):
        raise ValidationError(
            "Containment names the serials or lots concerned.", field="containment_serial_numbers"
        )
    if not containment and (containment_serial_numbers or containment_lots):
        raise ValidationError(
            "Serials or lots are given only with containment.", field="requested_action"
        )
    texts = [require_text(t, "condition") for t in conditions]
    if (outcome is Outcome.CONDITIONALLY_ACCEPTED) != bool(texts):
        raise ValidationError(
            "A conditional acceptance, and only it, carries its conditions.", field="conditions"
        )
    if path in (EntryPath.TRANSCRIPTION, EntryPath.INTEGRATION):
        reference = require_text(reference, "reference")
    if path is EntryPath.TRANSCRIPTION and not evidence_id:
        raise ValidationError("A transcription attaches its evidence.", field="evidence_id")
    pending = path is EntryPath.TRANSCRIPTION
    return CustomerDecisionRecord(
        site_id=site_id,
        first_article_id=first_article_id,
        attempt=attempt,
        outcome=outcome,
        path=path,
        authority=authority,
        channel_version=channel_version,
        customer_person_id=customer_person_id,
        decided_by=require_text(decided_by, "decided_by"),
        decided_at=decided_at,
        recorded_by=recorded_by,
        recorded_at=now,
        reference=reference,
        requested_action=requested_action,
        comments=tuple(comments),
        conditions=tuple(Condition(i, t) for i, t in enumerate(texts, start=1)),
        containment_serial_numbers=tuple(s.strip() for s in containment_serial_numbers),
        containment_lots=tuple(s.strip() for s in containment_lots),
        evidence_id=evidence_id,
        status=DecisionStatus.PENDING_VERIFICATION if pending else DecisionStatus.IN_EFFECT,
    )


def conditions_outcome(
    decision: CustomerDecisionRecord, settlements: Iterable[ConditionSettlement]
) -> Outcome | None:
    """What a conditional acceptance has become: rejected once a condition failed,
    approved once all are met, None while any is open."""
    settled = {s.number: s.met for s in settlements if s.decision_id == decision.id}
    if any(met is False for met in settled.values()):
        return Outcome.REJECTED
    if all(settled.get(c.number) for c in decision.conditions):
        return Outcome.APPROVED
    return None


@dataclass(frozen=True)
class FirstPassYield:
    """Submissions approved on their first decided attempt over all first decisions."""

    first_submissions: int  # FAIs with a first decision in effect (resets left out)
    approved_first_time: int
    rejected_first_time: int
    conditional_open: int  # conditionally accepted on the first attempt, conditions open
    awaiting_decision: int  # submitted, no decision in effect yet

    @property
    def ratio(self) -> float | None:
        return self.approved_first_time / self.first_submissions if self.first_submissions else None


def first_pass_yield(
    submitted_fai_ids: Iterable[str], first_outcomes: Mapping[str, Outcome | None]
) -> FirstPassYield:
    """First-pass yield over the submitted FAIs, given each FAI's first decided outcome
    (a conditional acceptance resolved by its conditions, None while they are open).

    ``first_outcomes`` leaves out FAIs without a decision in effect; resets are not outcomes
    here (the caller drops them), so a reset never counts as a rejection.
    """
    ids = set(submitted_fai_ids)
    decided = {k: v for k, v in first_outcomes.items() if k in ids}
    return FirstPassYield(
        first_submissions=len(decided),
        approved_first_time=sum(1 for v in decided.values() if v is Outcome.APPROVED),
        rejected_first_time=sum(1 for v in decided.values() if v is Outcome.REJECTED),
        conditional_open=sum(1 for v in decided.values() if v is None),
        awaiting_decision=len(ids - decided.keys()),
    )


def first_outcome(
    decisions: Iterable[CustomerDecisionRecord], settlements: Iterable[ConditionSettlement]
) -> tuple[bool, Outcome | None]:
    """(decided, outcome) of an FAI's first decision in effect that is not a reset; a
    conditional acceptance is what its conditions made of it (None while open)."""
    listed = sorted(
        (
            d
            for d in decisions
            if d.status is DecisionStatus.IN_EFFECT and d.outcome is not Outcome.RESET
        ),
        key=lambda d: (d.attempt, d.recorded_at),
    )
    if not listed:
        return False, None
    first = listed[0]
    if first.outcome is Outcome.CONDITIONALLY_ACCEPTED:
        return True, conditions_outcome(first, settlements)
    return True, first.outcome
