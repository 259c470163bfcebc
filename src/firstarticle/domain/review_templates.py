"""Review workflow templates: the ordered stages a customer wants an FAI reviewed in, as data.

A template belongs to one customer and is versioned: setting it again makes a new version,
and a running review keeps the version its first task was created from. A customer without
a template gets :data:`DEFAULT_TEMPLATE`, whose stages are advisory: their tasks are opened
and shown but block nothing, so FAIs of such customers move as they always did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from firstarticle.domain.access import Role
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.model import new_id


class TaskKind(StrEnum):
    """Why a task exists: a review stage, or the plant's answer to a rejection."""

    REVIEW = "review"
    REWORK = "rework"
    RESUBMISSION = "resubmission"
    CONTAINMENT = "containment"


# The plant's task roles and the built-in roles whose holders may work their tasks. A role
# name not listed here is one the plant defines: only its assignee works such a task.
ROLE_HOLDERS: Mapping[str, frozenset[Role]] = {
    "quality": frozenset({Role.QUALITY_ENGINEER}),
    "manufacturing": frozenset({Role.MANUFACTURING_ENGINEER}),
    "engineering": frozenset({Role.DESIGN_ENGINEER, Role.MANUFACTURING_ENGINEER}),
    "program": frozenset({Role.PROGRAM_MANAGER}),
}
# The lifecycle actions a review stage may guard (the review happens before them).
GUARDABLE = frozenset({FaiAction.APPROVE_INTERNALLY, FaiAction.SUBMIT})
FORMS = frozenset({1, 2, 3})
DEFAULT_TEMPLATE_ID = "default"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
MAX_DUE_HOURS = 24 * 365


def holders_of(role: str) -> frozenset[Role]:
    """The built-in roles that may work a task of ``role`` (none for a plant-defined role)."""
    return ROLE_HOLDERS.get(role, frozenset())


def _name(value: object, what: str) -> str:
    text = str(value or "").strip().lower()
    if not _NAME.match(text):
        raise ValidationError(
            f"{what} is 1-40 lower-case letters, digits, '_', '.' or '-', starting with a letter.",
            field=what,
        )
    return text


def role_name(value: object) -> str:
    """A task role's name as stored (lower case), or ValidationError."""
    return _name(value, "role")


def _hours(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DUE_HOURS:
        raise ValidationError(
            f"{what} is a whole number of hours, 1 to {MAX_DUE_HOURS}.", field=what
        )
    return value


@dataclass(frozen=True)
class ChecklistItem:
    """One question of a customer's checklist, answered yes, no or n.a. with a comment."""

    key: str
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _name(self.key, "checklist key"))
        text = (self.text or "").strip()
        if not text or len(text) > 500:
            raise ValidationError("A checklist item has a text of 1-500 characters.", field="text")
        object.__setattr__(self, "text", text)


@dataclass(frozen=True)
class Stage:
    """One step of a review: a task for ``role``, due ``due_hours`` after it opens.

    ``required`` stages block the action they guard until done; ``forms`` are the AS9102
    forms the stage concerns, where a review resumes after a rejection commenting them.
    """

    key: str
    name: str
    role: str
    due_hours: int = 48
    checklist: tuple[ChecklistItem, ...] = ()
    signature_required: bool = False
    guards: FaiAction = FaiAction.APPROVE_INTERNALLY
    forms: frozenset[int] = FORMS
    required: bool = True

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "key", _name(self.key, "stage key"))
        put(self, "role", _name(self.role, "role"))
        put(self, "name", (self.name or "").strip()[:200] or self.key)
        _hours(self.due_hours, "due_hours")
        if self.guards not in GUARDABLE:
            raise ValidationError(
                "A stage guards approve_internally or submit.", field="guards", value=self.guards
            )
        if not self.forms or not set(self.forms) <= FORMS:
            raise ValidationError("A stage concerns forms 1, 2 and/or 3.", field="forms")
        keys = [item.key for item in self.checklist]
        if len(set(keys)) != len(keys):
            raise ValidationError("Checklist keys are unique within a stage.", field="checklist")


@dataclass(frozen=True)
class Response:
    """Who answers a rejection with a task of one kind, and how soon."""

    role: str
    due_hours: int


DEFAULT_RESPONSES: Mapping[TaskKind, Response] = {
    TaskKind.REWORK: Response("engineering", 72),
    TaskKind.RESUBMISSION: Response("quality", 120),
    TaskKind.CONTAINMENT: Response("quality", 24),
}


@dataclass(frozen=True)
class ReviewTemplate:
    """A customer's review workflow, one version of it."""

    customer_id: str | None
    version: int
    stages: tuple[Stage, ...]
    restart_on_resubmission: bool = False
    responses: Mapping[TaskKind, Response] = field(default_factory=lambda: DEFAULT_RESPONSES)
    created_by: str = "firstarticle"
    created_at: datetime | None = None
    id: str = DEFAULT_TEMPLATE_ID

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValidationError("A review template has at least one stage.", field="stages")
        keys = [s.key for s in self.stages]
        if len(set(keys)) != len(keys):
            raise ValidationError("Stage keys are unique within a template.", field="stages")
        order = [s.guards is FaiAction.SUBMIT for s in self.stages]
        if order != sorted(order):
            raise ValidationError(
                "Stages guarding submit come after those guarding approve_internally.",
                field="stages",
            )

    def stage_after(self, index: int, taken: frozenset[FaiAction]) -> int | None:
        """The first stage from ``index`` on whose guarded action is not ``taken`` yet."""
        for i in range(index, len(self.stages)):
            if self.stages[i].guards not in taken:
                return i
        return None

    def resume_at(self, forms_commented: frozenset[int]) -> int:
        """Where a review resumes after a rejection commenting ``forms_commented``: the first
        stage concerning one of them (the first stage when the template says restart, or when
        the comments name no form a stage concerns)."""
        if self.restart_on_resubmission:
            return 0
        return next((i for i, s in enumerate(self.stages) if s.forms & forms_commented), 0)

    def document(self) -> dict[str, Any]:
        """The template as the JSON document :func:`template_from_document` reads."""
        return {
            "restart_on_resubmission": self.restart_on_resubmission,
            "stages": [
                {
                    "key": s.key,
                    "name": s.name,
                    "role": s.role,
                    "due_hours": s.due_hours,
                    "required": s.required,
                    "signature_required": s.signature_required,
                    "guards": s.guards.value,
                    "forms": sorted(s.forms),
                    "checklist": [{"key": i.key, "text": i.text} for i in s.checklist],
                }
                for s in self.stages
            ],
            "responses": {
                k.value: {"role": r.role, "due_hours": r.due_hours}
                for k, r in self.responses.items()
            },
        }


def _stage(raw: Any) -> Stage:
    if not isinstance(raw, dict):
        raise ValidationError("Each stage is an object.", field="stages")
    try:
        guards = FaiAction(raw.get("guards", FaiAction.APPROVE_INTERNALLY.value))
    except ValueError:
        raise ValidationError(
            "A stage guards approve_internally or submit.", field="guards"
        ) from None
    forms = raw.get("forms", sorted(FORMS))
    if not isinstance(forms, list) or not all(type(f) is int and f in FORMS for f in forms):
        raise ValidationError("A stage concerns forms 1, 2 and/or 3.", field="forms")
    items = raw.get("checklist", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationError("A checklist is a list of {key, text}.", field="checklist")
    return Stage(
        key=raw.get("key", ""),
        name=str(raw.get("name") or ""),
        role=raw.get("role", ""),
        due_hours=raw.get("due_hours", 48),
        checklist=tuple(ChecklistItem(i.get("key", ""), str(i.get("text") or "")) for i in items),
        signature_required=bool(raw.get("signature_required", False)),
        guards=guards,
        forms=frozenset(forms),
        required=bool(raw.get("required", True)),
    )


def template_from_document(
    document: Any,
    *,
    customer_id: str,
    version: int,
    created_by: str,
    created_at: datetime,
    template_id: str | None = None,
) -> ReviewTemplate:
    """A template version from its JSON document; ValidationError naming what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("stages"), list):
        raise ValidationError("A template is an object with a list of stages.", field="stages")
    responses = dict(DEFAULT_RESPONSES)
    raw_responses = document.get("responses") or {}
    if not isinstance(raw_responses, dict):
        raise ValidationError("responses maps a task kind to {role, due_hours}.", field="responses")
    for kind, raw in raw_responses.items():
        if kind not in {k.value for k in DEFAULT_RESPONSES} or not isinstance(raw, dict):
            raise ValidationError(
                "responses name rework, resubmission or containment.", field="responses"
            )
        base = DEFAULT_RESPONSES[TaskKind(kind)]
        responses[TaskKind(kind)] = Response(
            _name(raw.get("role", base.role), "role"),
            _hours(raw.get("due_hours", base.due_hours), "due_hours"),
        )
    return ReviewTemplate(
        customer_id=customer_id,
        version=version,
        stages=tuple(_stage(s) for s in document["stages"]),
        restart_on_resubmission=bool(document.get("restart_on_resubmission", False)),
        responses=responses,
        created_by=created_by,
        created_at=created_at,
        id=template_id or new_id(),
    )


# Customers without a template of their own: one advisory internal review by quality.
DEFAULT_TEMPLATE = ReviewTemplate(
    customer_id=None,
    version=1,
    stages=(Stage("internal-review", "Internal review", "quality", due_hours=48, required=False),),
)
