"""Which tasks an FAI's lifecycle events open and close: the review workflow as pure steps.

:func:`react` reads the events of one commit on an FAI and returns the tasks they open with
the events of every task change, so the tasks commit in the same transaction as the FAI.
Entering internal review opens the first stage due (later stages open as earlier ones are
done, :func:`advance`); a rejection opens rework and resubmission tasks, and a containment
task when containment is asked; re-entering review after a rejection resumes at the first
stage the customer's comments concern; leaving review, submitting or cancelling closes what
is left open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.review_templates import ReviewTemplate, TaskKind
from firstarticle.domain.tasks import Task, TaskStatus

# The events of FaiAction transitions (FirstArticle.apply names them "fai.<action>").
LIFECYCLE_ACTIONS = frozenset(f"fai.{action.value}" for action in FaiAction)
DECISION_RECORDED = "fai.customer_decision_recorded"
RESPONSE_KINDS = (TaskKind.REWORK, TaskKind.RESUBMISSION)
# While the FAI is in one of these statuses its review runs, with these actions taken.
REVIEW_STATUSES: dict[FaiStatus, frozenset[FaiAction]] = {
    FaiStatus.PENDING_INTERNAL_REVIEW: frozenset(),
    FaiStatus.INTERNALLY_APPROVED: frozenset({FaiAction.APPROVE_INTERNALLY}),
}


@dataclass(frozen=True)
class ReviewSubject:
    """The FAI the tasks belong to, as it stands after the commit."""

    site_id: str
    first_article_id: str
    status: FaiStatus
    submission_attempt: int


@dataclass
class Outcome:
    """The tasks a commit opens and the events of every task it opens or closes."""

    opened: list[Task] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def open_review_task(tasks: Sequence[Task]) -> Task | None:
    """The FAI's open review task (a review has one stage open at a time)."""
    return next((t for t in tasks if t.kind is TaskKind.REVIEW and t.status.is_open), None)


def react(
    subject: ReviewSubject,
    template: ReviewTemplate,
    tasks: Sequence[Task],
    events: Sequence[Event],
    *,
    actor: str,
    at: datetime,
) -> Outcome:
    """The task changes ``events`` (one commit's, in order) cause on the FAI's ``tasks``."""
    out = Outcome()
    known = list(tasks)
    containment = any(_contains(e, subject.first_article_id) for e in events)
    for event in events:
        if event.record_type != "first_article" or event.record_id != subject.first_article_id:
            continue
        if event.action == DECISION_RECORDED:
            decision = event.changes.get("customer_decision", (None, {}))[1] or {}
            if decision.get("outcome") == "rejected":
                _rejected(subject, template, known, decision, containment, actor, at, out)
                known += [t for t in out.opened if t not in known]
            continue
        if event.action not in LIFECYCLE_ACTIONS:
            continue  # other FAI events may carry a "status" of their own records
        before, after = event.changes.get("status", (None, None))
        if after is None:
            continue
        _moved(subject, template, known, FaiStatus(before), FaiStatus(after), actor, at, out)
        known += [t for t in out.opened if t not in known]
    return out


def advance(
    subject: ReviewSubject,
    template: ReviewTemplate,
    tasks: Sequence[Task],
    *,
    actor: str,
    at: datetime,
) -> Outcome:
    """Open the next stage of the running review when none is open (after a stage is done,
    or its guarded action was taken)."""
    out = Outcome()
    taken = REVIEW_STATUSES.get(subject.status)
    reviews = [t for t in tasks if t.kind is TaskKind.REVIEW]
    if taken is None or not reviews or open_review_task(reviews) is not None:
        return out
    cycle = max(t.cycle for t in reviews)
    last = max(t.stage_index or 0 for t in reviews if t.cycle == cycle)
    index = template.stage_after(last + 1, taken)
    if index is not None:
        _open_stage(subject, template, index, cycle, actor, at, out)
    return out


def _moved(
    subject: ReviewSubject,
    template: ReviewTemplate,
    known: list[Task],
    before: FaiStatus,
    after: FaiStatus,
    actor: str,
    at: datetime,
    out: Outcome,
) -> None:
    def close(kinds: Sequence[TaskKind], status: TaskStatus, reason: str, **only: Any) -> None:
        for task in known:
            if task.status.is_open and task.kind in kinds and _matches(task, only):
                out.events.append(task.close_by_lifecycle(status, actor, at, reason))

    cancelled = TaskStatus.CANCELLED
    if after is FaiStatus.PENDING_INTERNAL_REVIEW:
        close([TaskKind.REVIEW], cancelled, "a new review cycle began")
        _start_review(subject, template, known, actor, at, out)
    elif after is FaiStatus.INTERNALLY_APPROVED:
        close(
            [TaskKind.REVIEW], cancelled, "approved internally", guards=FaiAction.APPROVE_INTERNALLY
        )
        step = advance(subject, template, [*known, *out.opened], actor=actor, at=at)
        out.opened += step.opened
        out.events += step.events
    elif after is FaiStatus.SUBMITTED:
        close([TaskKind.REVIEW], cancelled, "submitted")
        close([TaskKind.RESUBMISSION], TaskStatus.DONE, "resubmitted")
    elif after is FaiStatus.IN_PROGRESS and before in REVIEW_STATUSES:
        close([TaskKind.REVIEW], cancelled, "returned to work")
    elif after in (FaiStatus.CANCELLED, FaiStatus.SUPERSEDED):
        close(list(TaskKind), cancelled, f"FAI {after.value}")
    elif after is FaiStatus.APPROVED:
        close([*RESPONSE_KINDS, TaskKind.REVIEW], cancelled, "approved by the customer")


def _matches(task: Task, only: dict[str, Any]) -> bool:
    return all(getattr(task, name) == value for name, value in only.items())


def _start_review(
    subject: ReviewSubject,
    template: ReviewTemplate,
    known: list[Task],
    actor: str,
    at: datetime,
    out: Outcome,
) -> None:
    cycle = 1 + max((t.cycle for t in known if t.kind is TaskKind.REVIEW), default=0)
    attempt = subject.submission_attempt + 1
    answers = [t for t in known if t.kind is TaskKind.RESUBMISSION and t.attempt == attempt]
    start = template.resume_at(answers[-1].forms) if answers else 0
    index = template.stage_after(start, frozenset())
    if index is not None:
        _open_stage(subject, template, index, cycle, actor, at, out)


def _open_stage(
    subject: ReviewSubject,
    template: ReviewTemplate,
    index: int,
    cycle: int,
    actor: str,
    at: datetime,
    out: Outcome,
) -> None:
    task = Task.for_stage(
        template.stages[index],
        index,
        site_id=subject.site_id,
        first_article_id=subject.first_article_id,
        template=(template.id, template.version),
        attempt=subject.submission_attempt + 1,
        cycle=cycle,
        actor=actor,
        at=at,
    )
    out.opened.append(task)
    out.events.append(task.created())


def _rejected(
    subject: ReviewSubject,
    template: ReviewTemplate,
    known: list[Task],
    decision: dict[str, Any],
    containment: bool,
    actor: str,
    at: datetime,
    out: Outcome,
) -> None:
    attempt = int(decision.get("attempt") or subject.submission_attempt) + 1
    forms = frozenset(int(f) for f in decision.get("forms_commented") or ())
    kinds = list(RESPONSE_KINDS)
    if containment or decision.get("requested_action") == "containment":
        kinds.append(TaskKind.CONTAINMENT)
    for kind in kinds:
        if any(t.kind is kind and t.attempt == attempt for t in [*known, *out.opened]):
            continue  # the same rejection recorded twice opens its tasks once
        response = template.responses[kind]
        task = Task(
            site_id=subject.site_id,
            first_article_id=subject.first_article_id,
            kind=kind,
            role=response.role,
            due_at=at + timedelta(hours=response.due_hours),
            created_at=at,
            created_by=actor,
            template_id=template.id,
            template_version=template.version,
            attempt=attempt,
            forms=forms,
        )
        out.opened.append(task)
        out.events.append(task.created())


def _contains(event: Event, fai_id: str) -> bool:
    """A containment hold placed on the FAI in the same commit: the customer asked for it."""
    if event.action != "hold.placed":
        return False
    kind = event.changes.get("kind", (None, None))[1]
    placed_on = event.changes.get("first_article_id", (None, None))[1]
    return bool(kind == "containment" and placed_on == fai_id)
