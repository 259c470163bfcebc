"""Notifications: which audit events people and systems hear about, and what a message may say.

An event is routed to a topic by a table (data, not code). A message is built from the event
through a whitelist: record identifiers, statuses, outcomes, due times and a link. Nothing
else of the event (reasons, comments, requirement texts, serials) can reach a message, so a
mail or a webhook never carries controlled technical data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.model import new_id


class Topic(StrEnum):
    """What a subscriber can ask to hear about."""

    TASK_CREATED = "task_created"
    TASK_OVERDUE = "task_overdue"
    DECISION_REWORK = "decision_rework"
    DECISION_RESUBMISSION = "decision_resubmission"
    DECISION_CONTAINMENT = "decision_containment"
    HOLD_PLACED = "hold_placed"
    HOLD_RELEASED = "hold_released"
    OVERRIDE_REQUESTED = "override_requested"
    OVERRIDE_SIGNED = "override_signed"
    EVALUATION_OPENED = "evaluation_opened"  # a re-FAI trigger asks its team to evaluate


DECISION = "fai.customer_decision_recorded"

# (event action, decision outcome, requested action) -> topic. Only customer decisions carry
# an outcome and a requested action; every other key has None in both places.
ROUTES: Mapping[tuple[str, str | None, str | None], Topic] = {
    ("task.created", None, None): Topic.TASK_CREATED,
    ("task.escalated", None, None): Topic.TASK_OVERDUE,
    (DECISION, "rejected", "rework"): Topic.DECISION_REWORK,
    (DECISION, "rejected", "resubmission"): Topic.DECISION_RESUBMISSION,
    (DECISION, "rejected", "containment"): Topic.DECISION_CONTAINMENT,
    ("hold.placed", None, None): Topic.HOLD_PLACED,
    ("hold.released", None, None): Topic.HOLD_RELEASED,
    ("hold.override_requested", None, None): Topic.OVERRIDE_REQUESTED,
    ("hold.override_signed", None, None): Topic.OVERRIDE_SIGNED,
    ("refai_trigger.raised", None, None): Topic.EVALUATION_OPENED,
}
ROUTED_ACTIONS = frozenset(action for action, _, _ in ROUTES)


def route(event: Event) -> Topic | None:
    """The topic ``event`` is announced under, or None when nobody is told of it."""
    if event.action not in ROUTED_ACTIONS:
        return None
    outcome = requested = None
    if event.action == DECISION:
        decision = _new(event, "customer_decision")
        if isinstance(decision, Mapping):
            outcome, requested = decision.get("outcome"), decision.get("requested_action")
    return ROUTES.get((event.action, outcome, requested))


# --- the message whitelist ----------------------------------------------------------------


class Kind(StrEnum):
    """What a whitelisted value must look like to be copied; anything else is dropped."""

    ID = "id"  # identifiers, usernames, enum values: no spaces, at most 64 characters
    TIME = "time"  # an ISO 8601 time with its zone
    COUNT = "count"  # a non-negative integer
    COUNTS = "counts"  # a short list of non-negative integers (forms commented)


@dataclass(frozen=True)
class Field:
    """One message field: taken from ``changes[key]`` (old or new side, optionally one key of
    a mapping there) and kept only if it looks like ``kind``."""

    name: str
    key: str
    kind: Kind = Kind.ID
    sub: str | None = None
    old: bool = False


_DECISION_FIELDS = tuple(
    Field(name, "customer_decision", kind, sub=name)
    for name, kind in (
        ("decision_id", Kind.ID),
        ("outcome", Kind.ID),
        ("attempt", Kind.COUNT),
        ("requested_action", Kind.ID),
        ("forms_commented", Kind.COUNTS),
        ("channel", Kind.ID),
        ("path", Kind.ID),
    )
)
_TASK_FIELDS = (
    Field("first_article_id", "first_article_id"),
    Field("kind", "kind"),
    Field("role", "role"),
    Field("assignee", "assignee"),
    Field("due_at", "due_at", Kind.TIME),
)

# What each topic's message carries besides the envelope (event id, topic, record, link).
WHITELIST: Mapping[Topic, tuple[Field, ...]] = {
    Topic.TASK_CREATED: _TASK_FIELDS,
    Topic.TASK_OVERDUE: (*_TASK_FIELDS, Field("escalated_to", "escalated_to")),
    Topic.DECISION_REWORK: _DECISION_FIELDS,
    Topic.DECISION_RESUBMISSION: _DECISION_FIELDS,
    Topic.DECISION_CONTAINMENT: _DECISION_FIELDS,
    Topic.HOLD_PLACED: (
        Field("kind", "kind"),
        Field("source", "source"),
        Field("customer_id", "customer_id"),
        Field("work_order_id", "work_order_id"),
        Field("first_article_id", "first_article_id"),
    ),
    Topic.HOLD_RELEASED: (Field("status", "status"),),
    Topic.OVERRIDE_REQUESTED: (
        Field("override_id", "override", sub="id"),
        Field("expires_at", "override", Kind.TIME, sub="expires_at"),
    ),
    Topic.EVALUATION_OPENED: (
        Field("kind", "kind"),
        Field("evaluation_id", "evaluation_id"),
        Field("part_revision_id", "part_revision_id"),
        Field("customer_id", "customer_id"),
        Field("hold_id", "hold_id"),
    ),
    Topic.OVERRIDE_SIGNED: (
        Field("override_id", "override", old=True),
        Field("second_signer", "override", sub="second_signer"),
        Field("expires_at", "override", Kind.TIME, sub="expires_at"),
    ),
}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$")
# Web pages a link may lead to, by the record the event is about.
_PAGES = {
    "hold": "/web/holds/{id}",
    "first_article": "/web/fai/{id}",
    "refai_trigger": "/web/triggers/{id}",
}


def _new(event: Event, key: str) -> Any:
    pair = event.changes.get(key)
    return pair[1] if isinstance(pair, tuple | list) and len(pair) == 2 else None


def _checked(value: Any, kind: Kind) -> Any:
    """``value`` if it has the shape ``kind`` allows, else None."""
    if kind is Kind.COUNT:
        return value if type(value) is int and value >= 0 else None
    if kind is Kind.COUNTS:
        ok = isinstance(value, list | tuple) and len(value) <= 16
        return [v for v in value if type(v) is int and v >= 0] if ok else None
    if not isinstance(value, str):
        return None
    if kind is Kind.TIME:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
        return at.isoformat() if at.tzinfo is not None else None
    return value if _ID.match(value) else None


def _value(event: Event, spec: Field) -> Any:
    pair = event.changes.get(spec.key)
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        return None
    value = pair[0] if spec.old else pair[1]
    if spec.sub is not None:
        value = value.get(spec.sub) if isinstance(value, Mapping) else None
    return _checked(value, spec.kind)


def link(event: Event, base_url: str) -> str:
    """The page of the record the event concerns (a task's FAI), under ``base_url``."""
    base = base_url.rstrip("/")
    if event.record_type in _PAGES:
        return base + _PAGES[event.record_type].format(id=event.record_id)
    fai = _checked(_new(event, "first_article_id"), Kind.ID)
    return base + (_PAGES["first_article"].format(id=fai) if fai else "/web/")


def message(event: Event, topic: Topic, event_id: str, base_url: str) -> dict[str, Any]:
    """The body every channel sends for ``event``: the envelope and the topic's whitelist."""
    data = {spec.name: _value(event, spec) for spec in WHITELIST[topic]}
    return {
        "id": event_id,
        "type": f"firstarticle.{topic.value}",
        "timestamp": event.at.isoformat(),
        "site_id": event.site_id,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "link": link(event, base_url),
        "data": {k: v for k, v in data.items() if v is not None},
    }


def subject(body: Mapping[str, Any]) -> str:
    """An email subject from a message body: topic and record id only."""
    topic = str(body.get("type", "")).removeprefix("firstarticle.").replace("_", " ")
    return f"[firstarticle] {topic.capitalize()}: {body.get('record_type')} {body.get('record_id')}"


# --- subscriptions and webhook endpoints --------------------------------------------------


class Channel(StrEnum):
    """How a message leaves."""

    EMAIL = "email"
    WEBHOOK = "webhook"


_EMAIL = re.compile(r"^[^@\s<>,;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$")


def check_email(address: str) -> str:
    """An address as stored (trimmed), or ValidationError."""
    value = (address or "").strip()
    if not _EMAIL.match(value):
        raise ValidationError("Not an email address.", field="email")
    return value


def check_url(url: str) -> str:
    """A webhook URL (http or https), or ValidationError."""
    value = (url or "").strip()
    if len(value) > 500 or not _URL.match(value):
        raise ValidationError("A webhook URL is http(s)://host/path.", field="url")
    return value


@dataclass(eq=False)
class Subscription:
    """At a site (and optionally for one customer), a topic goes to the users holding a role,
    to one email address, or to a webhook endpoint: exactly one of the three."""

    site_id: str
    topic: Topic
    created_by: str
    created_at: datetime
    customer_id: str | None = None
    role: str | None = None
    email: str | None = None
    webhook_id: str | None = None
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if self.email is not None:
            self.email = check_email(self.email)
        targets = [t for t in (self.role, self.email, self.webhook_id) if t is not None]
        if len(targets) != 1:
            raise ValidationError(
                "A subscription goes to exactly one of a role, an email address or a webhook.",
                field="target",
            )

    @property
    def target(self) -> str:
        """Who hears, as people read it."""
        if self.role is not None:
            return f"role {self.role}"
        return f"email {self.email}" if self.email is not None else f"webhook {self.webhook_id}"


class WebhookDisabledError(ConflictError):
    """The webhook endpoint is disabled."""

    code = "webhook_disabled"


@dataclass(eq=False)
class WebhookEndpoint:
    """A receiver of signed webhooks; its secret (``whsec_`` + base64) is shown once."""

    url: str
    secret: str
    created_by: str
    created_at: datetime
    active: bool = True
    disabled_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.url = check_url(self.url)

    def disable(self, at: datetime) -> None:
        """Stop sending to this endpoint (once)."""
        if not self.active:
            raise WebhookDisabledError("The webhook endpoint is already disabled.")
        self.active, self.disabled_at = False, at
