"""Delivering the outbox, and what administrators do with it (list, retry).

A worker claims due messages in one short transaction (a lease), sends them outside any
transaction, then writes the outcomes in another: delivered, or a retry after an
exponential backoff with full jitter, or dead after the last attempt. A worker killed
between sending and writing leaves its lease to expire; the next claim sends the message
again with the same event id, so a receiver that deduplicates by it sees it once.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from firstarticle.domain.access import Permission
from firstarticle.domain.events import Event
from firstarticle.domain.notifications import Channel, WebhookEndpoint, subject
from firstarticle.domain.outbox import (
    OutboxAction,
    OutboxMessage,
    OutboxRetryError,
    OutboxStatus,
    RetryPolicy,
    next_status,
    short_error,
)
from firstarticle.ports import (
    DeliveryFailedError,
    Email,
    Mailer,
    Page,
    StorageUnavailableError,
    WebhookSender,
)
from firstarticle.services import ServiceContext, allowed, found, record

log = logging.getLogger("firstarticle.outbox")
RETRIES = 5  # failures in a row before ``run(once=True)`` reports the database unavailable


@dataclass
class Delivery:
    """The delivery ports and rules a worker runs with (bootstrap.py builds it)."""

    mailer: Mailer
    webhooks: WebhookSender
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 20
    send_timeout_seconds: float = 10.0
    jitter: Callable[[], float] = random.random


@dataclass
class Tally:
    """What a worker did."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    lost_leases: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes a webhook carries (and signs): compact JSON with sorted keys."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def email_text(payload: dict[str, Any]) -> str:
    """A plain-text mail from a message body: its identifiers, statuses and link only."""
    lines = [subject(payload), ""]
    lines += [f"{key}: {value}" for key, value in sorted(payload.get("data", {}).items())]
    lines += [
        f"record: {payload.get('record_type')} {payload.get('record_id')}",
        f"at: {payload.get('timestamp')}",
        "",
        f"Open: {payload.get('link')}",
        "",
        f"Event id {payload.get('id')} (the same on every retry of this message).",
    ]
    return "\n".join(lines) + "\n"


def deliver_due(ctx: ServiceContext, delivery: Delivery, worker_id: str) -> Tally:
    """Claim up to one batch of due messages, send them, write the outcomes."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    now = ctx.clock.now()
    lease_until = now + timedelta(seconds=delivery.policy.lease_seconds)
    with ctx.uow_factory() as uow:
        if not uow.outbox.has_due(now):
            return Tally()
    with ctx.uow_factory() as uow:
        claimed = uow.outbox.claim(worker_id, now, lease_until, delivery.batch)
        endpoints = {
            m.destination: uow.outbox.webhook(m.destination)
            for m in claimed
            if m.channel == Channel.WEBHOOK
        }
        uow.commit()
    tally = Tally(claimed=len(claimed))
    outcomes: list[tuple[OutboxMessage, dict[str, Any]]] = []
    margin = timedelta(seconds=delivery.send_timeout_seconds)
    for message in claimed:
        if ctx.clock.now() + margin >= lease_until:
            # Too late to start: the lease could run out mid-send. Hand it back untried.
            outcomes.append((message, _released(message, ctx)))
            tally.released += 1
            continue
        outcomes.append((message, _attempt(ctx, delivery, message, endpoints, tally)))
    with ctx.uow_factory() as uow:
        for message, values in outcomes:
            if not uow.outbox.finish(message, worker_id, **values):
                tally.lost_leases += 1
        uow.commit()
    return tally


def _released(message: OutboxMessage, ctx: ServiceContext) -> dict[str, Any]:
    return {
        "status": next_status(message.status, OutboxAction.RELEASE),
        "attempts": message.attempts - 1,
        "next_attempt_at": ctx.clock.now(),
    }


def _attempt(
    ctx: ServiceContext,
    delivery: Delivery,
    message: OutboxMessage,
    endpoints: dict[str, WebhookEndpoint | None],
    tally: Tally,
) -> dict[str, Any]:
    """Send once; the column values that record the outcome."""
    try:
        if message.channel == Channel.WEBHOOK:
            endpoint = endpoints.get(message.destination)
            if endpoint is None or not endpoint.active:
                tally.dead += 1
                return _failed(message, OutboxAction.GIVE_UP, "webhook endpoint disabled")
            stamp = int(ctx.clock.now().timestamp())
            body = body_bytes(message.payload)
            delivery.webhooks.send(endpoint.url, endpoint.secret, message.event_id, stamp, body)
        else:
            email = Email(
                to=message.destination,
                subject=subject(message.payload),
                text=email_text(message.payload),
                event_id=message.event_id,
            )
            delivery.mailer.send(email)
    except DeliveryFailedError as error:
        action = delivery.policy.after_failure(message.attempts)
        if action is OutboxAction.GIVE_UP:
            tally.dead += 1
            log.warning("outbox message %s dead: %s", message.event_id, error)
            return _failed(message, action, str(error))
        tally.retried += 1
        wait = delivery.policy.delay(message.attempts, delivery.jitter())
        return _failed(message, action, str(error), ctx.clock.now() + wait)
    tally.delivered += 1
    now = ctx.clock.now()
    return {
        "status": next_status(message.status, OutboxAction.DELIVER),
        "delivered_at": now,
        "last_error": None,
    }


def _failed(
    message: OutboxMessage, action: OutboxAction, error: str, retry_at: datetime | None = None
) -> dict[str, Any]:
    """The column values of a failed attempt: back to pending until ``retry_at``, or dead."""
    values: dict[str, Any] = {
        "status": next_status(message.status, action),
        "last_error": short_error(error),
    }
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    return values


def run(
    ctx: ServiceContext,
    delivery: Delivery,
    worker_id: str,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    poll_seconds: float = 2.0,
) -> Tally:
    """Deliver until stopped; with ``once``, until nothing is due, then return.

    A database that is busy (SQLite's one writer) or away is waited for and logged, never a
    reason to stop; ``once`` gives up after RETRIES failures in a row.
    """
    stop = stop or threading.Event()
    total = Tally()
    failures = 0
    while not stop.is_set():
        try:
            tally = deliver_due(ctx, delivery, worker_id)
        except StorageUnavailableError as error:
            failures += 1
            log.warning("outbox worker %s: %s", worker_id, error.message)
            if once and failures >= RETRIES:
                raise
            stop.wait(min(poll_seconds, 0.1 * failures))
            continue
        failures = 0
        total.add(tally)
        if tally.claimed == 0:
            if once:
                break
            stop.wait(poll_seconds)
    return total


# --- administrators ------------------------------------------------------------------------


def list_messages(
    ctx: ServiceContext,
    *,
    status: OutboxStatus | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[OutboxMessage]:
    """Messages of the caller's sites, oldest first, optionally of one status."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.outbox.list_messages(
            status=status, site_ids=ctx.principal.site_ids, limit=size, offset=start
        )


def retry(ctx: ServiceContext, event_id: str) -> OutboxMessage:
    """Send a dead (or waiting) message again now, with fresh attempts; audited."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    with ctx.uow_factory() as uow:
        message = found(uow.outbox.message(event_id), "Outbox message", event_id)
        ctx.principal.require_site(message.site_id, "outbox message")
        after = next_status(message.status, OutboxAction.RETRY)
        if not uow.outbox.retry(message, ctx.clock.now()):
            raise OutboxRetryError("A worker took the message meanwhile.", status="sending")
        record(uow, ctx, [_retried(ctx, message, after)])
        uow.commit()
        return found(uow.outbox.message(event_id), "Outbox message", event_id)


def retry_dead(ctx: ServiceContext) -> int:
    """Retry every dead message of the caller's sites; how many."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    count = 0
    with ctx.uow_factory() as uow:
        while True:
            page = uow.outbox.list_messages(
                status=OutboxStatus.DEAD, site_ids=ctx.principal.site_ids, limit=500, offset=0
            )
            if not page.items:
                break
            for message in page.items:
                uow.outbox.retry(message, ctx.clock.now())
                record(uow, ctx, [_retried(ctx, message, OutboxStatus.PENDING)])
                count += 1
        uow.commit()
    return count


def _retried(ctx: ServiceContext, message: OutboxMessage, after: OutboxStatus) -> Event:
    return Event(
        action="outbox.retried",
        record_type="outbox_message",
        record_id=message.event_id,
        site_id=message.site_id,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes={
            "status": (message.status.value, after.value),
            "attempts": (message.attempts, 0),
        },
    )
