"""Readiness rules of the review workflow: a required task still open, or its checklist still
unanswered, blocks the lifecycle action its stage guards (domain/readiness.py registers them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from firstarticle.domain.lifecycle import TRANSITIONS_BY_ACTION, FaiStatus
from firstarticle.domain.tasks import Task

TASK_OPEN = "REVIEW_TASK_OPEN"
CHECKLIST_UNANSWERED = "REVIEW_CHECKLIST_UNANSWERED"
RULES: Mapping[str, str] = {
    TASK_OPEN: "Every required review task guarding the next step is done.",
    CHECKLIST_UNANSWERED: "Every checklist item of those tasks is answered.",
}


@dataclass(frozen=True)
class ReviewBlocker:
    """A blocking finding of the review workflow, naming its task."""

    rule: str
    message: str
    task_id: str
    task_label: str


def review_blockers(status: FaiStatus, tasks: Sequence[Task]) -> list[ReviewBlocker]:
    """What stops the action the FAI's ``status`` leads to: each open required task guarding
    it, and each of that task's unanswered checklist items."""
    out = []
    for task in tasks:
        if not (task.status.is_open and task.required and task.guards is not None):
            continue
        if status not in TRANSITIONS_BY_ACTION[task.guards].sources:
            continue
        guarded = task.guards.value.replace("_", " ")
        out.append(
            ReviewBlocker(
                TASK_OPEN,
                f"Review task '{task.label}' is open; it must be done to {guarded}.",
                task.id,
                task.label,
            )
        )
        out += [
            ReviewBlocker(
                CHECKLIST_UNANSWERED,
                f"Checklist item '{item.key}' of review task '{task.label}' is unanswered.",
                task.id,
                task.label,
            )
            for item in task.unanswered()
        ]
    return out
