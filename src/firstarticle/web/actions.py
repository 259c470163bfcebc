"""What a person may do on an FAI now, and for the rest, why not: read from the lifecycle
table, the signature meanings and the person's permissions; the services still decide."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firstarticle.domain.access import Permission, Principal
from firstarticle.domain.lifecycle import TRANSITIONS, FaiAction
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.services.first_articles import (
    CUSTOMER_ACTIONS,
    SIGNED_ACTIONS,
    FirstArticleDetail,
)
from firstarticle.services.signatures import PERMISSION_BY_MEANING


class Standing(StrEnum):
    """Whether the person can take a step now, could but is stopped, or the FAI's status
    does not offer it at all."""

    OPEN = "open"
    BLOCKED = "blocked"
    NOT_IN_STATUS = "not_in_status"


@dataclass(frozen=True)
class ActionView:
    """One lifecycle step as the FAI page offers or explains it."""

    action: FaiAction
    label: str
    description: str
    meaning: SignatureMeaning | None
    reason_required: bool
    why_not: str | None
    standing: Standing

    @property
    def open(self) -> bool:
        return self.standing is Standing.OPEN

    @property
    def is_customer_decision(self) -> bool:
        """Taken by recording the customer's decision, not as a bare step."""
        return self.action in CUSTOMER_ACTIONS


def _label(action: FaiAction, meaning: SignatureMeaning | None) -> str:
    if meaning is not None:
        rule = meaning.rule
        return f"Sign field {rule.field_number}: {rule.label.lower()}"
    return action.value.replace("_", " ").capitalize()


def _permission(action: FaiAction, meaning: SignatureMeaning | None) -> Permission:
    if meaning is not None:
        return PERMISSION_BY_MEANING[meaning]
    if action in CUSTOMER_ACTIONS:
        return Permission.CUSTOMER_DECISION_RECORD
    return Permission.FAI_TRANSITION


def actions_for(detail: FirstArticleDetail, person: Principal) -> list[ActionView]:
    """Every lifecycle step: open ones first, each closed one with its reason."""
    status = detail.fai.status
    blocking = sum(1 for f in detail.findings if f.blocking)
    views = []
    for t in TRANSITIONS:
        meaning = SIGNED_ACTIONS.get(t.action)
        permission = _permission(t.action, meaning)
        why: str | None = None
        standing = Standing.BLOCKED
        if status not in t.sources:
            standing = Standing.NOT_IN_STATUS
            allowed_in = ", ".join(sorted(s.label.lower() for s in t.sources))
            why = f"Only when the FAI is {allowed_in}; it is {status.label.lower()}."
        elif not person.can(permission):
            why = f"Your roles do not grant '{permission.value}'."
        elif t.needs_readiness and blocking:
            why = f"{blocking} blocking readiness finding(s) stand in the way."
        elif t.action is FaiAction.SUPERSEDE:
            why = "Superseding names the newer FAIR; use the API or the command line."
        views.append(
            ActionView(
                t.action,
                _label(t.action, meaning),
                t.description,
                meaning,
                t.reason_required,
                why,
                Standing.OPEN if why is None else standing,
            )
        )
    order = list(Standing)
    return sorted(views, key=lambda v: order.index(v.standing))
