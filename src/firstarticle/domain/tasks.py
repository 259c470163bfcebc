"""Tasks: the work a review stage or a customer's rejection asks of a role at the FAI's site.

A task's status moves only along :data:`TASK_TRANSITIONS` (open -> done | cancelled). Every
change returns its audit events (``task.*``), which carry identifiers, roles, people and due
times only: never a checklist comment or any other free text, so notifications built from
them cannot carry controlled technical data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firstarticle.domain.access import ForbiddenError, Role
from firstarticle.domain.errors import TransitionNotAllowedError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.model import new_id, require_text
from firstarticle.domain.review_templates import ChecklistItem, Stage, TaskKind, holders_of
from firstarticle.domain.signatures import SignatureRequiredError

RECORD_TYPE = "task"


class TaskStatus(StrEnum):
    """Where a task stands."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """True while someone still has to act."""
        return self is TaskStatus.OPEN


TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class Answer(StrEnum):
    """An answer to a checklist item."""

    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "na"


@dataclass(frozen=True)
class ChecklistAnswer:
    """An answer with the answerer's comment, if any."""

    answer: Answer
    comment: str | None = None


class TaskNotPermittedError(ForbiddenError):
    """The caller is neither the task's assignee nor a holder of its role (nor its lead)."""

    code = "task_not_permitted"


class ChecklistItemUnknownError(ValidationError):
    """An answer names an item the task's checklist does not have."""

    code = "checklist_item_unknown"


class ChecklistIncompleteError(ValidationError):
    """A task is completed while checklist items are still unanswered."""

    code = "checklist_incomplete"


class TaskClosedError(TransitionNotAllowedError):
    """The task is done or cancelled: nothing moves it any more."""

    code = "task_closed"


@dataclass(eq=False)
class Task:
    """One task of one FAI: its stage (for a review), role, assignee, due time and answers."""

    site_id: str
    first_article_id: str
    kind: TaskKind
    role: str
    due_at: datetime
    created_at: datetime
    created_by: str
    template_id: str
    template_version: int
    # The submission attempt the task prepares (1 before the first submission).
    attempt: int
    # Review tasks: which entry into internal review opened them (1, 2, ... per FAI).
    cycle: int = 0
    stage_key: str | None = None
    stage_index: int | None = None
    name: str = ""
    required: bool = False
    guards: FaiAction | None = None
    forms: frozenset[int] = frozenset()
    signature_required: bool = False
    checklist: tuple[ChecklistItem, ...] = ()
    answers: dict[str, ChecklistAnswer] = field(default_factory=dict)
    assignee: str | None = None
    status: TaskStatus = TaskStatus.OPEN
    closed_at: datetime | None = None
    closed_by: str | None = None
    closed_reason: str | None = None
    escalations: int = 0
    escalated_to: str | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1
    id: str = field(default_factory=new_id)

    @classmethod
    def for_stage(
        cls,
        stage: Stage,
        index: int,
        *,
        site_id: str,
        first_article_id: str,
        template: tuple[str, int],
        attempt: int,
        cycle: int,
        actor: str,
        at: datetime,
    ) -> Task:
        """The open task of review stage ``index``, due ``stage.due_hours`` from ``at``."""
        return cls(
            site_id=site_id,
            first_article_id=first_article_id,
            kind=TaskKind.REVIEW,
            role=stage.role,
            due_at=at + timedelta(hours=stage.due_hours),
            created_at=at,
            created_by=actor,
            template_id=template[0],
            template_version=template[1],
            attempt=attempt,
            cycle=cycle,
            stage_key=stage.key,
            stage_index=index,
            name=stage.name,
            required=stage.required,
            guards=stage.guards,
            forms=stage.forms,
            signature_required=stage.signature_required,
            checklist=stage.checklist,
        )

    @property
    def label(self) -> str:
        """The task as a finding or a list names it."""
        what = self.name or self.kind.value.capitalize()
        return f"{what} ({self.role})"

    def unanswered(self) -> list[ChecklistItem]:
        """The checklist items without an answer yet."""
        return [i for i in self.checklist if i.key not in self.answers]

    def may_work(self, username: str, roles: Iterable[Role]) -> bool:
        """True for the assignee and for holders of the task's role."""
        return username == self.assignee or bool(holders_of(self.role) & set(roles))

    def overdue_level(self, now: datetime) -> int:
        """0 until due; then 1 in the first overdue period, 2 in the second, and so on. A
        period is as long as the time the task was given (at least an hour)."""
        if not self.status.is_open or now <= self.due_at:
            return 0
        period = max(self.due_at - self.created_at, timedelta(hours=1))
        return 1 + (now - self.due_at) // period

    # --- changes ---

    def created(self) -> Event:
        """The audit event of this task's creation."""
        changes: dict[str, tuple[Any, Any]] = {
            "first_article_id": (None, self.first_article_id),
            "kind": (None, self.kind.value),
            "role": (None, self.role),
            "assignee": (None, self.assignee),
            "due_at": (None, self.due_at.isoformat()),
            "status": (None, self.status.value),
            "attempt": (None, self.attempt),
            "required": (None, self.required),
            "template_version": (None, self.template_version),
        }
        if self.stage_key is not None:
            changes["stage"] = (None, self.stage_key)
            changes["guards"] = (None, self.guards.value if self.guards else None)
        return self._event("task.created", self.created_by, self.created_at, changes)

    def complete(
        self,
        actor: str,
        roles: Iterable[Role],
        answers: Mapping[str, ChecklistAnswer],
        at: datetime,
        *,
        signed: bool = False,
    ) -> list[Event]:
        """Answer the checklist and close the task as done; raise and change nothing when
        the caller may not, an answer names an unknown item, an item stays unanswered or a
        required signature is missing."""
        self._require_open()
        if not self.may_work(actor, roles):
            raise TaskNotPermittedError(
                f"{actor} is not assigned to this task and does not hold its role ({self.role}).",
                role=self.role,
            )
        known = {i.key for i in self.checklist}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise ChecklistItemUnknownError(
                f"The checklist has no item {', '.join(unknown)}.", field="answers", items=unknown
            )
        merged = {**self.answers, **answers}
        missing = [i.key for i in self.checklist if i.key not in merged]
        if missing:
            raise ChecklistIncompleteError(
                f"Answer every checklist item first: {', '.join(missing)}.",
                field="answers",
                items=missing,
            )
        if self.signature_required and not signed:
            raise SignatureRequiredError(
                "This task is completed with an electronic signature: give your password on "
                "a signing nonce."
            )
        self.answers = merged
        changes: dict[str, tuple[Any, Any]] = {
            "answers": (None, {k: v.answer.value for k, v in sorted(merged.items())})
        }
        if signed:
            changes["signed"] = (None, True)
        return self._close(TaskStatus.DONE, actor, at, None, "task.completed", changes)

    def close_by_lifecycle(
        self, status: TaskStatus, actor: str, at: datetime, reason: str
    ) -> Event:
        """Close the task because the FAI moved on (done by the move, or cancelled)."""
        action = "task.completed" if status is TaskStatus.DONE else "task.cancelled"
        return self._close(status, actor, at, reason, action, {})[0]

    def reassign(
        self, to: str | None, reason: str, actor: str, at: datetime, *, permitted: bool
    ) -> list[Event]:
        """Give the task to ``to`` (None: back to the role's inbox) with a reason."""
        self._require_open()
        if not permitted:
            raise TaskNotPermittedError(
                f"{actor} may not reassign this task: it takes its assignee, a holder of its "
                f"role ({self.role}) or the role's lead.",
                role=self.role,
            )
        reason = require_text(reason, "reason")
        if to == self.assignee:
            raise ValidationError("The task is already assigned so.", field="assignee")
        before, self.assignee = self.assignee, to
        self.notes.append(
            {"kind": "reassignment", "by": actor, "at": at.isoformat(), "text": reason,
             "from": before, "to": to}
        )  # fmt: skip
        changes = {
            "assignee": (before, to),
            "first_article_id": (None, self.first_article_id),
            "role": (None, self.role),
            "due_at": (None, self.due_at.isoformat()),
        }
        return [self._event("task.reassigned", actor, at, changes, reason)]

    def comment(self, text: str, actor: str, at: datetime) -> list[Event]:
        """Add a comment; the audit event names the task, not what was said."""
        text = require_text(text, "text")
        if len(text) > 4000:
            raise ValidationError("A comment is at most 4000 characters.", field="text")
        self.notes.append({"kind": "comment", "by": actor, "at": at.isoformat(), "text": text})
        return [self._event("task.commented", actor, at, {"comments": (None, len(self.notes))})]

    def escalate(self, lead: str, actor: str, now: datetime) -> list[Event]:
        """Escalate to ``lead`` once per overdue period; nothing when already escalated."""
        level = self.overdue_level(now)
        if level <= self.escalations:
            return []
        before = self.escalations
        self.escalations, self.escalated_to = level, lead
        changes = {
            "escalated_to": (None, lead),
            "escalations": (before, level),
            "first_article_id": (None, self.first_article_id),
            "role": (None, self.role),
            "due_at": (None, self.due_at.isoformat()),
        }
        return [self._event("task.escalated", actor, now, changes)]

    def _require_open(self) -> None:
        if not self.status.is_open:
            raise TaskClosedError(
                f"The task is {self.status.value}.",
                current_status=self.status.value,
            )

    def _close(
        self,
        target: TaskStatus,
        actor: str,
        at: datetime,
        reason: str | None,
        action: str,
        changes: dict[str, tuple[Any, Any]],
    ) -> list[Event]:
        if target not in TASK_TRANSITIONS[self.status]:
            raise TaskClosedError(
                f"A {self.status.value} task cannot become {target.value}.",
                current_status=self.status.value,
            )
        before, self.status = self.status, target
        self.closed_at, self.closed_by, self.closed_reason = at, actor, reason
        changes = {
            "status": (before.value, target.value),
            "first_article_id": (None, self.first_article_id),
            "kind": (None, self.kind.value),
            **changes,
        }
        return [self._event(action, actor, at, changes, reason)]

    def _event(
        self,
        action: str,
        actor: str,
        at: datetime,
        changes: dict[str, tuple[Any, Any]],
        reason: str | None = None,
    ) -> Event:
        return Event(action, RECORD_TYPE, self.id, self.site_id, actor, at, changes, reason)
