"""Writing the outbox: called by ``services.record`` in the caller's transaction, so a message
exists exactly when the change that caused it is committed.

Kept apart from ``services/__init__.py`` (and importing nothing of it) so that ``record`` can
call it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from firstarticle.domain.events import Event
from firstarticle.domain.model import new_id
from firstarticle.domain.notifications import Channel, Subscription, Topic, message, route
from firstarticle.domain.outbox import OutboxMessage, OutboxStatus
from firstarticle.ports import UnitOfWork

_UNRESOLVED = object()


def announce(uow: UnitOfWork, events: Sequence[Event], base_url: str, now: datetime) -> int:
    """Queue one message per (event, destination) its site's subscriptions name; returns how
    many. Events no topic routes cost nothing; the others one query for the subscriptions."""
    rows: list[OutboxMessage] = []
    for event in events:
        topic = route(event)
        if topic is None or event.site_id is None:
            continue
        subscriptions = uow.outbox.subscriptions(event.site_id, topic)
        if not subscriptions:
            continue
        destinations = _destinations(uow, event, subscriptions)
        for channel, destination in sorted(destinations):
            event_id = new_id()
            rows.append(_row(event, topic, event_id, channel, destination, base_url, now))
    uow.outbox.add_messages(rows)
    return len(rows)


def _destinations(
    uow: UnitOfWork, event: Event, subscriptions: Sequence[Subscription]
) -> set[tuple[Channel, str]]:
    """Where the event goes: each address or active endpoint once, whatever subscribed it."""
    customer: object = _UNRESOLVED
    found: set[tuple[Channel, str]] = set()
    for sub in subscriptions:
        if customer is _UNRESOLVED and (sub.customer_id is not None or sub.role is not None):
            customer = _customer(uow, event)
        if sub.customer_id is not None and sub.customer_id != customer:
            continue
        if sub.role is not None:
            if not _in_team(event, sub.role):
                continue
            who = customer if isinstance(customer, str) else None
            for address in uow.outbox.role_addresses(event.site_id or "", sub.role, who):
                found.add((Channel.EMAIL, address))
        elif sub.email is not None:
            found.add((Channel.EMAIL, sub.email))
        elif sub.webhook_id is not None:
            endpoint = uow.outbox.webhook(sub.webhook_id)
            if endpoint is not None and endpoint.active:
                found.add((Channel.WEBHOOK, endpoint.id))
    return found


def _in_team(event: Event, role: str) -> bool:
    """A role hears of an event that names a team (a re-FAI evaluation) only as its member."""
    team = event.changes.get("team")
    members = team[1] if isinstance(team, tuple | list) and len(team) == 2 else None
    return not isinstance(members, list | tuple) or role in members


def _customer(uow: UnitOfWork, event: Event) -> str | None:
    """The customer the event's record belongs to (a task's through its FAI), if known."""
    customer = uow.outbox.customer_of(event.record_type, event.record_id)
    if customer is None and "first_article_id" in event.changes:
        fai = event.changes["first_article_id"][1]
        if isinstance(fai, str):
            customer = uow.outbox.customer_of("first_article", fai)
    return customer


def _row(
    event: Event,
    topic: Topic,
    event_id: str,
    channel: Channel,
    destination: str,
    base_url: str,
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        site_id=event.site_id or "",
        event_id=event_id,
        topic=topic.value,
        channel=channel.value,
        destination=destination,
        payload=message(event, topic, event_id, base_url),
        record_type=event.record_type,
        record_id=event.record_id,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
